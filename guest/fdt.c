// SPDX-License-Identifier: MIT
/*
 * Flattened device tree walker (see fdt.h). The tree is big-endian: a header, then a structure block
 * of 32-bit tokens (BEGIN_NODE name, PROP len nameoff value, END_NODE, NOP, END) and a strings block
 * for property names. A node's properties come before its subnodes, but a node's own properties
 * come in any order, so what a node is (device_type) is decided when it ends.
 */
#include "fdt.h"

#include <stdbool.h>
#include <stddef.h>

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u
#define FDT_MAX_SIZE   (1u << 20) /* sanity bound, the VMM's tree is at most RVMIG_FDT_MAX */

struct fdt_header {
	uint32_t magic, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap, version, last_comp_version,
		boot_cpuid_phys, size_dt_strings, size_dt_struct;
};

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A property value of `cells` 32-bit cells (1 or 2), as used by reg and the frequency. */
static uint64_t be_cells(const uint8_t *p, uint32_t cells)
{
	return cells == 2 ? (uint64_t)be32(p) << 32 | be32(p + 4) : be32(p);
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* "memory" matches "memory" and "memory@80000000". */
static bool node_is(const char *name, const char *base)
{
	while (*base && *name == *base) {
		name++;
		base++;
	}
	return *base == '\0' && (*name == '\0' || *name == '@');
}

/* What we remember about the node being walked at depth 1 (/memory, /cpus) or 2 (/cpus/cpu@N). */
struct node {
	const char *name;
	bool type_memory, type_cpu, disabled;
	const uint8_t *reg;
	uint32_t reg_len;
	uint64_t timebase;
};

struct walk {
	const uint8_t *structs, *strings;
	uint32_t struct_size, strings_size;
	uint32_t root_addr_cells, root_size_cells, cpus_addr_cells;
	uint64_t image_addr;
	bool in_cpus;
	struct node node[3]; /* by depth: 0 root, 1, 2 */
	struct fdt_info *info;
};

static void on_prop(struct walk *w, int depth, const char *name, const uint8_t *val, uint32_t len)
{
	struct node *n = &w->node[depth];

	if (depth == 0) {
		if (str_eq(name, "#address-cells") && len == 4)
			w->root_addr_cells = be32(val);
		else if (str_eq(name, "#size-cells") && len == 4)
			w->root_size_cells = be32(val);
		return;
	}
	if (str_eq(name, "device_type")) {
		n->type_memory = str_eq((const char *)val, "memory");
		n->type_cpu = str_eq((const char *)val, "cpu");
	} else if (str_eq(name, "reg")) {
		n->reg = val;
		n->reg_len = len;
	} else if (str_eq(name, "status")) {
		n->disabled = !str_eq((const char *)val, "okay") && !str_eq((const char *)val, "ok");
	} else if (str_eq(name, "timebase-frequency") && (len == 4 || len == 8)) {
		n->timebase = be_cells(val, len / 4);
	} else if (depth == 1 && w->in_cpus && str_eq(name, "#address-cells") && len == 4) {
		w->cpus_addr_cells = be32(val);
	}
}

static void memory_node_done(struct walk *w, const struct node *n)
{
	uint32_t entry = 4 * (w->root_addr_cells + w->root_size_cells);

	for (uint32_t off = 0; entry && off + entry <= n->reg_len; off += entry) {
		uint64_t base = be_cells(n->reg + off, w->root_addr_cells);
		uint64_t size = be_cells(n->reg + off + 4 * w->root_addr_cells, w->root_size_cells);
		if (w->image_addr >= base && w->image_addr - base < size) {
			w->info->mem_base = base;
			w->info->mem_size = size;
		}
	}
}

static void cpu_node_done(struct walk *w, const struct node *n)
{
	struct fdt_info *info = w->info;

	if (n->disabled || n->reg_len < 4 * w->cpus_addr_cells)
		return;
	if (!info->timebase)
		info->timebase = n->timebase;
	if (info->nr_cpus < RVMIG_MAX_VCPUS)
		info->hartids[info->nr_cpus++] = be_cells(n->reg, w->cpus_addr_cells);
	else
		info->nr_cpus_ignored++;
}

static void on_end_node(struct walk *w, int depth)
{
	const struct node *n = &w->node[depth];

	if (depth == 1 && n->type_memory)
		memory_node_done(w, n);
	else if (depth == 1 && w->in_cpus && n->timebase)
		w->info->timebase = n->timebase; /* /cpus wins over a cpu node's own value */
	else if (depth == 2 && w->in_cpus && n->type_cpu)
		cpu_node_done(w, n);
	if (depth == 1)
		w->in_cpus = false;
}

static const char *walk_structs(struct walk *w)
{
	uint32_t off = 0;
	int depth = -1;

	while (off + 4 <= w->struct_size) {
		uint32_t token = be32(w->structs + off);
		off += 4;
		switch (token) {
		case FDT_BEGIN_NODE: {
			const char *name = (const char *)w->structs + off;
			uint32_t n = 0;
			while (off + n < w->struct_size && name[n])
				n++;
			off = (off + n + 1 + 3) & ~3u;
			if (++depth <= 2) {
				w->node[depth] = (struct node){ .name = name };
				if (depth == 1)
					w->in_cpus = node_is(name, "cpus");
			}
			break;
		}
		case FDT_END_NODE:
			if (depth < 0)
				return "unbalanced END_NODE";
			if (depth <= 2)
				on_end_node(w, depth);
			depth--;
			break;
		case FDT_PROP: {
			if (off + 8 > w->struct_size)
				return "truncated property";
			uint32_t len = be32(w->structs + off), nameoff = be32(w->structs + off + 4);
			const uint8_t *val = w->structs + off + 8;
			off = (off + 8 + len + 3) & ~3u;
			if (off > w->struct_size || nameoff >= w->strings_size)
				return "property out of bounds";
			if (depth >= 0 && depth <= 2)
				on_prop(w, depth, (const char *)w->strings + nameoff, val, len);
			break;
		}
		case FDT_NOP:
			break;
		case FDT_END:
			return depth == -1 ? NULL : "END inside a node";
		default:
			return "bad structure token";
		}
	}
	return "structure block without END";
}

const char *fdt_parse(const void *fdt, uint64_t image_addr, struct fdt_info *info)
{
	const struct fdt_header *h = fdt;

	*info = (struct fdt_info){ 0 };
	if (!fdt || be32(&h->magic) != FDT_MAGIC)
		return "no device tree (bad magic)";
	uint32_t total = be32(&h->totalsize);
	uint32_t so = be32(&h->off_dt_struct), ss = be32(&h->size_dt_struct);
	uint32_t to = be32(&h->off_dt_strings), ts = be32(&h->size_dt_strings);
	if (total > FDT_MAX_SIZE || so > total || ss > total - so || to > total || ts > total - to)
		return "device tree header out of bounds";

	struct walk w = {
		.structs = (const uint8_t *)fdt + so,
		.struct_size = ss,
		.strings = (const uint8_t *)fdt + to,
		.strings_size = ts,
		.root_addr_cells = 2,
		.root_size_cells = 1,
		.cpus_addr_cells = 1,
		.image_addr = image_addr,
		.info = info,
	};
	const char *err = walk_structs(&w);
	if (err)
		return err;
	if (!info->mem_size)
		return "no /memory range holds the guest image";
	if (!info->nr_cpus)
		return "no enabled /cpus/cpu@N node";
	if (!info->timebase)
		return "no timebase-frequency";
	return NULL;
}
