/* SPDX-License-Identifier: MIT */
/*
 * Entry points. The boot hart enters at _start (RAM base under KVM, 0x80200000 under OpenSBI) with
 * a0 = hartid, a1 = device tree; harts started through SBI HSM enter at _secondary_start with
 * a0 = hartid, a1 = opaque (the device tree). Each hart gets the stack and the trap stack of its
 * hartid, tp = hartid, stvec = trap_entry, and then C.
 */
#define STACK_SIZE      0x4000  /* per hart */
#define TRAP_STACK_SIZE 0x1000  /* per hart: the trap handler never returns, so it needs little */
#define MAX_HARTS       16      /* RVMIG_MAX_VCPUS */
#define SBI_EXT_SRST    0x53525354

	.section .text.entry, "ax"
	.globl _start
_start:
	/* Only one hart may clear .bss and parse the tree: the first to swap the lottery word. */
	la	t0, boot_lottery
	li	t1, 1
	amoswap.w.aq t1, t1, (t0)
	bnez	t1, lottery_lost

	call	setup_hart
	/* Clear .bss (stacks are in .stacks, not cleared: the running stack is one of them). */
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	call	boot_main	/* a0, a1 preserved by setup_hart */
	j	.

	/* A second hart entered at _start (a VMM that starts every vCPU at the entry): wait until the
	 * boot hart is set up, then carry on as a secondary hart. */
lottery_lost:
	la	t0, boot_ready
3:	lw	t1, 0(t0)
	beqz	t1, 3b
	fence	r, rw
	/* fall through */

	.globl _secondary_start
_secondary_start:
	call	setup_hart
	call	secondary_main
	j	.

/* sp, sscratch (trap stack), tp and stvec for hart a0; leaves a0/a1 alone; called with ra. */
setup_hart:
	li	t0, MAX_HARTS
	bgeu	a0, t0, bad_hartid
	mv	tp, a0
	addi	t0, a0, 1
	li	t1, STACK_SIZE
	mul	t1, t0, t1
	la	sp, hart_stacks
	add	sp, sp, t1
	li	t1, TRAP_STACK_SIZE
	mul	t1, t0, t1
	la	t2, trap_stacks
	add	t2, t2, t1
	csrw	sscratch, t2
	la	t0, trap_entry
	csrw	stvec, t0
	ret

	/* No stack for a hartid this large: say so (legacy putchar needs no stack) and reset the
	 * system with a failure rather than stop silently. */
bad_hartid:
	la	t0, bad_hartid_msg
4:	lbu	a0, 0(t0)
	beqz	a0, 5f
	li	a7, 1		/* legacy console putchar */
	ecall
	addi	t0, t0, 1
	j	4b
5:	li	a7, SBI_EXT_SRST
	li	a6, 0
	li	a0, 0		/* shutdown */
	li	a1, 1		/* system failure */
	ecall
	j	.

/*
 * Any trap is unexpected (the guest enables no interrupts and runs no lower privilege). Switch to
 * the hart's trap stack and call trap_handler(scause, sepc, stval, sp), which never returns.
 * sscratch is set back to the trap stack top so that a trap inside the handler lands there too.
 */
	.align	4
	.globl	trap_entry
trap_entry:
	csrrw	sp, sscratch, sp
	csrr	a3, sscratch
	csrw	sscratch, sp
	csrr	a0, scause
	csrr	a1, sepc
	csrr	a2, stval
	call	trap_handler
	j	.

	.section .rodata
bad_hartid_msg:	.asciz "rvmig-guest: PANIC: hartid >= 16 (RVMIG_MAX_VCPUS)\n"

	.section .data
	.align	2
	.globl	boot_lottery, boot_ready
boot_lottery:	.word 0
boot_ready:	.word 0

	.section .stacks, "aw", @nobits
	.align	12
hart_stacks:	.space STACK_SIZE * MAX_HARTS
trap_stacks:	.space TRAP_STACK_SIZE * MAX_HARTS
