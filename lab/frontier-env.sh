# Sourced by run.sh for `./run.sh migrate --frontier`: the lab's memory for a local migration, which
# holds two guests at once (source and destination), each on 2M pages. Raises the 2M reservation
# (LAB_HUGEPAGES_2M) to fit two guests of the scenario's --mem (default 1G), drops the 1G pages the
# scenario does not use (LAB_HUGEPAGES_1G=0) and sizes LAB_MEM to hold them; a value the user set is
# kept, and the scenario then says inside the lab when the pages do not fit.
# shellcheck shell=bash

# size_mib SIZE: 512M -> 512, 1G -> 1024; nothing for anything else.
size_mib() {
	case $1 in
		*[0-9][Mm]) echo "${1%[Mm]}" ;;
		*[0-9][Gg]) echo $((${1%[Gg]} * 1024)) ;;
	esac
}

# frontier_lab_env SCENARIO-ARGS...: exports LAB_HUGEPAGES_2M, LAB_HUGEPAGES_1G, LAB_MEM when unset.
frontier_lab_env() {
	local mem=1G mib pages lab_mib
	while [ $# -gt 0 ]; do
		[ "$1" = --mem ] && [ $# -ge 2 ] && mem=$2
		shift
	done
	mib=$(size_mib "$mem")
	case $mib in '' | *[!0-9]*) die "--frontier --mem $mem: want a size in M or G, e.g. 1G" ;; esac
	# two guests of mib/2 2M pages each, and a little slack
	pages=$((mib + 16))
	[ "$pages" -lt 512 ] && pages=512
	export LAB_HUGEPAGES_2M=${LAB_HUGEPAGES_2M:-$pages}
	export LAB_HUGEPAGES_1G=${LAB_HUGEPAGES_1G:-0}
	# the reserved pages plus 3G for the lab's kernel, rvmig and its page tables; at least the usual 6G
	lab_mib=$((LAB_HUGEPAGES_2M * 2 + LAB_HUGEPAGES_1G * 1024 + 3072))
	[ "$lab_mib" -lt 6144 ] && lab_mib=6144
	export LAB_MEM=${LAB_MEM:-$(((lab_mib + 1023) / 1024))G}
	say "frontier: two $mem guests on 2M pages need $((mib)) of them: LAB_HUGEPAGES_2M=$LAB_HUGEPAGES_2M," \
		"LAB_HUGEPAGES_1G=$LAB_HUGEPAGES_1G, LAB_MEM=$LAB_MEM"
}
