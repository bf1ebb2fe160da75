// SPDX-License-Identifier: GPL-2.0
/*
 * jester: /proc/squireos/jester, an ASCII jester whose mood changes with
 * every open. The mood is picked once per open, so a reader sees one
 * whole jester even if seq_file calls show again.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include "squireos.h"

struct jester_mood {
	const char *name;
	const char *face;
	const char *saying;
};

static const struct jester_mood jester_moods[] = {
	{ "happy", "(^_^)", "A fine day for fine words!" },
	{ "sleepy", "(-_-) zzz", "Wake me when the chapter ends." },
	{ "mischievous", "(>_<)", "Shall I hide your semicolons?" },
	{ "thoughtful", "(o_O)", "Every word is a step on the road." },
	{ "excited", "(*o*)", "Onward, to the next page!" },
};

static atomic_t jester_opens = ATOMIC_INIT(0);

static int jester_show(struct seq_file *m, void *v)
{
	const struct jester_mood *mood = &jester_moods[(unsigned long)m->private];

	seq_printf(m, "    _\n   / \\  %s\n  |   |\n   \\_/\n", mood->face);
	seq_printf(m, "The jester is %s.\n%s\n", mood->name, mood->saying);
	return 0;
}

static int jester_open(struct inode *inode, struct file *file)
{
	unsigned long mood = (unsigned int)atomic_inc_return(&jester_opens) %
			     ARRAY_SIZE(jester_moods);

	return single_open(file, jester_show, (void *)mood);
}

SQUIREOS_PROC_OPS(jester_ops, jester_open);

static int __init jester_init(void)
{
	if (!squireos_proc_create("jester", squireos_root, &jester_ops))
		return -ENOMEM;
	printk(KERN_INFO "SquireOS: the jester joins the court at /proc/squireos/jester\n");
	return 0;
}

static void __exit jester_exit(void)
{
	remove_proc_entry("jester", squireos_root);
	printk(KERN_INFO "SquireOS: the jester takes a bow\n");
}

module_init(jester_init);
module_exit(jester_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("SquireOS");
MODULE_DESCRIPTION("SquireOS jester: /proc/squireos/jester");
MODULE_VERSION(SQUIREOS_VERSION);
