// SPDX-License-Identifier: GPL-2.0
/*
 * squireos_core: /proc/squireos with motto and version. The directory is
 * exported so the feature modules (jester, typewriter, wisdom) can add
 * their entries; load this module first and unload it last.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/utsname.h>
#include "squireos.h"

struct proc_dir_entry *squireos_root;
EXPORT_SYMBOL_GPL(squireos_root);

static const char *const squireos_banner[] = {
	"      .-\"\"\"-.",
	"     /  o o  \\     SquireOS " SQUIREOS_VERSION,
	"    |  \\___/  |    Codename: " SQUIREOS_CODENAME,
	"     \\_______/",
	"     /|  |  |\\     By quill and candlelight",
	"    (_|__|__|_)",
};

static int motto_show(struct seq_file *m, void *v)
{
	seq_puts(m, "By quill and candlelight, we write eternal words\n");
	return 0;
}

static int version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "SquireOS %s - Codename: %s\nKernel: %s\n",
		   SQUIREOS_VERSION, SQUIREOS_CODENAME, init_utsname()->release);
	return 0;
}

static int motto_open(struct inode *inode, struct file *file)
{
	return single_open(file, motto_show, NULL);
}

static int version_open(struct inode *inode, struct file *file)
{
	return single_open(file, version_show, NULL);
}

SQUIREOS_PROC_OPS(motto_ops, motto_open);
SQUIREOS_PROC_OPS(version_ops, version_open);

static void squireos_print_banner(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(squireos_banner); i++)
		printk(KERN_INFO "%s\n", squireos_banner[i]);
}

static int __init squireos_core_init(void)
{
	squireos_root = proc_mkdir("squireos", NULL);
	if (!squireos_root)
		return -ENOMEM;
	if (!squireos_proc_create("motto", squireos_root, &motto_ops) ||
	    !squireos_proc_create("version", squireos_root, &version_ops)) {
		remove_proc_entry("motto", squireos_root);
		remove_proc_entry("squireos", NULL);
		return -ENOMEM;
	}
	squireos_print_banner();
	printk(KERN_INFO "SquireOS: Digital scriptorium ready at /proc/squireos\n");
	return 0;
}

static void __exit squireos_core_exit(void)
{
	remove_proc_entry("version", squireos_root);
	remove_proc_entry("motto", squireos_root);
	remove_proc_entry("squireos", NULL);
	printk(KERN_INFO "SquireOS: the scriptorium is closed\n");
}

module_init(squireos_core_init);
module_exit(squireos_core_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("SquireOS");
MODULE_DESCRIPTION("SquireOS core: /proc/squireos, motto and version");
MODULE_VERSION(SQUIREOS_VERSION);
