/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mmapwin's private header: the options of every subcommand, the
 * subcommands main.c dispatches to, and the helpers the subcommand files
 * share (common.c: offsets, opening the file, tables; undo.c: the --undo
 * journal; write.c: --progress).
 */
#ifndef MMAPWIN_H
#define MMAPWIN_H

#include <stddef.h>
#include <stdint.h>

#include "ctl/cli.h"
#include "ctl/out.h"
#include "ctl/target.h"
#include "ctl/undo.h"
#include "ctl/uring.h"

/* Every option of every subcommand. */
struct mw {
	struct ctl_cli cli;
	uint64_t max_count; /* --max-count */
	int break_hardlinks; /* --break-hardlinks */
	int progress; /* --progress */
	uint64_t offset; /* --offset */
	int direct; /* --direct */
	enum ctl_wengine engine; /* --engine */
	unsigned int depth; /* --queue-depth, 0: default */
	size_t chunk; /* --chunk, 0: default */
	int drop_behind; /* --drop-behind */
	unsigned int throttle; /* --throttle PCT, 0: off */
	int truncate; /* --truncate */
	const char *data; /* --data */
	const char *from; /* --from */
	const char *undo; /* --undo */
	uint64_t window; /* --window, 0: default */
	int no_sync; /* --no-sync */
	int extend; /* --extend */
	int hex; /* --hex */
	int populate; /* --populate */
	int madvise; /* --madvise */
	int write; /* --write */
	int mincore; /* --mincore */
};

/* The subcommands (patch.c, read.c, undo.c, report.c, replace.c,
 * write.c); each returns the exit status or exits with a message. */
int cmd_patch(struct mw *m, char **args, int n);
int cmd_read(struct mw *m, char **args, int n);
int cmd_undo(struct mw *m, char **args, int n);
int cmd_fault(struct mw *m, char **args, int n);
int cmd_cache(struct mw *m, char **args, int n);
int cmd_replace(struct mw *m, char **args, int n);
int cmd_write(struct mw *m, char **args, int n);

/* common.c */
int take_size(const char *what, const char *s, uint64_t *v);
uint64_t take_pos(const char *what, const char *s, uint64_t min);
uint64_t take_offset(const char *s);
uint64_t take_length(const char *s);
void check_end(uint64_t off, uint64_t len);
void __attribute__((noreturn)) die_file(const char *file, int e);
int open_file(const char *file, int write, uint64_t *size);
void check_range(const char *file, uint64_t off, uint64_t *len, uint64_t size);
/*
 * FILE as the one resolver names a file operand (ctl-targets(7)): a bare
 * word is the file of that name in the cwd, never a device ("-" too: it is
 * "./-"). FLAGS: CTL_TARGET_MAY_CREATE (a missing file: its directory).
 * Returns 0 or -errno.
 */
int file_target(const char *file, unsigned int flags, struct ctl_target *t);
/* The cell of a value that does not apply (no --undo, no --throttle):
 * "-" in a table, null in JSON (NULL: the cell stays empty). */
const char *none_cell(const struct mw *m);

/* undo.c: the --undo journal of patch and replace for FILE, open as FD
 * (NULL with --dry-run and no journal yet). Exits on failure. */
struct ctl_undo *open_undo(const struct mw *m, const char *file, int fd,
			   struct ctl_undo_info *info);

/* write.c: --progress of replace and write. */
struct progress {
	const char *what;
	uint64_t total; /* 0: unknown (a pipe) */
	double start, last;
};

double mono_s(void);
void progress_init(struct progress *p, const struct mw *m, const char *what,
		   uint64_t total);
void progress_show(struct progress *p, uint64_t done, int final);

#endif
