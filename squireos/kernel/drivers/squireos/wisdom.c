// SPDX-License-Identifier: GPL-2.0
/*
 * wisdom: /proc/squireos/wisdom, the next writing quote on every read
 * (every open). The quote is picked once per open, with an atomic counter,
 * so concurrent readers each get a whole quote.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include "squireos.h"

static const char *const wisdom_quotes[] = {
	"The scariest moment is always just before you start. - Stephen King",
	"Start writing, no matter what. The water does not flow until the faucet is turned on. - Louis L'Amour",
	"You can always edit a bad page. You can't edit a blank page. - Jodi Picoult",
	"Fill your paper with the breathings of your heart. - William Wordsworth",
	"There is no greater agony than bearing an untold story inside you. - Maya Angelou",
	"If there's a book that you want to read, but it hasn't been written yet, then you must write it. - Toni Morrison",
	"A word after a word after a word is power. - Margaret Atwood",
	"One day I will find the right words, and they will be simple. - Jack Kerouac",
};

static atomic_t wisdom_reads = ATOMIC_INIT(0);

static int wisdom_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", wisdom_quotes[(unsigned long)m->private]);
	return 0;
}

static int wisdom_open(struct inode *inode, struct file *file)
{
	unsigned long index = ((unsigned int)atomic_inc_return(&wisdom_reads) - 1) %
			      ARRAY_SIZE(wisdom_quotes);

	return single_open(file, wisdom_show, (void *)index);
}

SQUIREOS_PROC_OPS(wisdom_ops, wisdom_open);

static int __init wisdom_init(void)
{
	if (!squireos_proc_create("wisdom", squireos_root, &wisdom_ops))
		return -ENOMEM;
	printk(KERN_INFO "SquireOS: wisdom awaits at /proc/squireos/wisdom\n");
	return 0;
}

static void __exit wisdom_exit(void)
{
	remove_proc_entry("wisdom", squireos_root);
}

module_init(wisdom_init);
module_exit(wisdom_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("SquireOS");
MODULE_DESCRIPTION("SquireOS wisdom: /proc/squireos/wisdom");
MODULE_VERSION(SQUIREOS_VERSION);
