// SPDX-License-Identifier: GPL-2.0
/*
 * typewriter: counts keystrokes and words through the keyboard notifier
 * (exported GPL-only, so this module is GPL) and shows them in
 * /proc/squireos/typewriter/stats and .../achievement.
 *
 * The notifier runs in atomic context: the counters sit behind a spinlock
 * taken with interrupts off; readers copy them out under the same lock.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <linux/keyboard.h>
#include <linux/input.h>
#include <linux/notifier.h>
#include <linux/spinlock.h>
#include "squireos.h"

/* A pause this long ends a writing session. */
#define TYPEWRITER_SESSION_GAP (5 * 60 * HZ)

struct typewriter_stats {
	unsigned long keystrokes;
	unsigned long words;
	unsigned long sessions;
	unsigned long session_start;	/* jiffies */
	unsigned long last_key;		/* jiffies */
	bool in_word;
};

struct typewriter_title {
	unsigned long words;
	const char *title;
};

static const struct typewriter_title typewriter_titles[] = {
	{ 0, "Apprentice Scribe" },
	{ 1000, "Journeyman Scribe" },
	{ 5000, "Illuminator" },
	{ 10000, "Master Scribe" },
	{ 50000, "Royal Chronicler" },
	{ 100000, "Grand Chronicler" },
};

static DEFINE_SPINLOCK(typewriter_lock);
static struct typewriter_stats typewriter_stats;
static struct proc_dir_entry *typewriter_dir;

static bool typewriter_ends_word(unsigned int keycode)
{
	return keycode == KEY_SPACE || keycode == KEY_ENTER ||
	       keycode == KEY_TAB || keycode == KEY_KPENTER;
}

static void typewriter_count(unsigned int keycode)
{
	struct typewriter_stats *s = &typewriter_stats;
	unsigned long now = jiffies;

	if (!s->sessions || time_after(now, s->last_key + TYPEWRITER_SESSION_GAP)) {
		s->sessions++;
		s->session_start = now;
	}
	s->last_key = now;
	s->keystrokes++;
	if (typewriter_ends_word(keycode)) {
		if (s->in_word)
			s->words++;
		s->in_word = false;
	} else {
		s->in_word = true;
	}
}

static int typewriter_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct keyboard_notifier_param *param = data;
	unsigned long flags;

	if (action != KBD_KEYCODE || !param->down)
		return NOTIFY_OK;
	spin_lock_irqsave(&typewriter_lock, flags);
	typewriter_count(param->value);
	spin_unlock_irqrestore(&typewriter_lock, flags);
	return NOTIFY_OK;
}

static struct notifier_block typewriter_nb = {
	.notifier_call = typewriter_notify,
};

static struct typewriter_stats typewriter_snapshot(void)
{
	struct typewriter_stats copy;
	unsigned long flags;

	spin_lock_irqsave(&typewriter_lock, flags);
	copy = typewriter_stats;
	spin_unlock_irqrestore(&typewriter_lock, flags);
	return copy;
}

static int stats_show(struct seq_file *m, void *v)
{
	struct typewriter_stats s = typewriter_snapshot();
	unsigned long session_s = s.sessions ? (s.last_key - s.session_start) / HZ : 0;

	seq_printf(m, "Keystrokes: %lu\nWords: %lu\nSessions: %lu\nSession time: %lu s\n",
		   s.keystrokes, s.words, s.sessions, session_s);
	return 0;
}

static int achievement_show(struct seq_file *m, void *v)
{
	struct typewriter_stats s = typewriter_snapshot();
	size_t rank = 0;

	while (rank + 1 < ARRAY_SIZE(typewriter_titles) &&
	       s.words >= typewriter_titles[rank + 1].words)
		rank++;
	seq_printf(m, "Title: %s\nWords: %lu\n", typewriter_titles[rank].title, s.words);
	if (rank + 1 < ARRAY_SIZE(typewriter_titles))
		seq_printf(m, "Next: %s at %lu words\n", typewriter_titles[rank + 1].title,
			   typewriter_titles[rank + 1].words);
	else
		seq_puts(m, "Next: none, the chronicle is yours\n");
	return 0;
}

static int stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, stats_show, NULL);
}

static int achievement_open(struct inode *inode, struct file *file)
{
	return single_open(file, achievement_show, NULL);
}

SQUIREOS_PROC_OPS(stats_ops, stats_open);
SQUIREOS_PROC_OPS(achievement_ops, achievement_open);

static void typewriter_remove_proc(void)
{
	remove_proc_entry("achievement", typewriter_dir);
	remove_proc_entry("stats", typewriter_dir);
	remove_proc_entry("typewriter", squireos_root);
}

static int __init typewriter_init(void)
{
	int err;

	typewriter_dir = proc_mkdir("typewriter", squireos_root);
	if (!typewriter_dir)
		return -ENOMEM;
	if (!squireos_proc_create("stats", typewriter_dir, &stats_ops) ||
	    !squireos_proc_create("achievement", typewriter_dir, &achievement_ops)) {
		typewriter_remove_proc();
		return -ENOMEM;
	}
	err = register_keyboard_notifier(&typewriter_nb);
	if (err) {
		typewriter_remove_proc();
		return err;
	}
	printk(KERN_INFO "SquireOS: the typewriter is counting at /proc/squireos/typewriter\n");
	return 0;
}

static void __exit typewriter_exit(void)
{
	unregister_keyboard_notifier(&typewriter_nb);
	typewriter_remove_proc();
}

module_init(typewriter_init);
module_exit(typewriter_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("SquireOS");
MODULE_DESCRIPTION("SquireOS typewriter: keystroke statistics and achievements");
MODULE_VERSION(SQUIREOS_VERSION);
