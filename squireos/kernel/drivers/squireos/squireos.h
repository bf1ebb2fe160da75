/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the SquireOS modules share: the /proc/squireos root that
 * squireos_core exports, and the proc API across kernel versions
 * (2.6.29 on the Nook, 6.x on the QEMU bench).
 */
#ifndef SQUIREOS_H
#define SQUIREOS_H

#include <linux/version.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

/* linux/atomic.h came in 2.6.37; 2.6.29 has only the arch header. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(2, 6, 37)
#include <linux/atomic.h>
#else
#include <asm/atomic.h>
#endif

#define SQUIREOS_VERSION "1.0.0"
#define SQUIREOS_CODENAME "Parchment"

extern struct proc_dir_entry *squireos_root;

/* proc_ops replaced file_operations for /proc entries in 5.6. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0)
typedef struct proc_ops squireos_proc_ops_t;
#define SQUIREOS_PROC_OPS(name, open_fn)				\
	static const struct proc_ops name = {				\
		.proc_open = open_fn,					\
		.proc_read = seq_read,					\
		.proc_lseek = seq_lseek,				\
		.proc_release = single_release,				\
	}
#else
typedef struct file_operations squireos_proc_ops_t;
#define SQUIREOS_PROC_OPS(name, open_fn)				\
	static const struct file_operations name = {			\
		.owner = THIS_MODULE,					\
		.open = open_fn,					\
		.read = seq_read,					\
		.llseek = seq_lseek,					\
		.release = single_release,				\
	}
#endif

/* proc_create came in 2.6.25; before it, create_proc_entry + proc_fops. */
static inline struct proc_dir_entry *
squireos_proc_create(const char *name, struct proc_dir_entry *parent,
		     const squireos_proc_ops_t *ops)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(2, 6, 25)
	return proc_create(name, 0444, parent, ops);
#else
	struct proc_dir_entry *entry = create_proc_entry(name, 0444, parent);

	if (entry)
		entry->proc_fops = (struct file_operations *)ops;
	return entry;
#endif
}

#endif /* SQUIREOS_H */
