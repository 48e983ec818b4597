// SPDX-License-Identifier: LGPL-2.1-or-later
/* The undo journal of in-place edits; the format is in ctl/undo.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#if defined(__x86_64__)
#include <sys/platform/x86.h>
#endif
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl/file.h"
#include "ctl/undo.h"
#include "internal.h"

static const char hdr_magic[8] = "CTLUNDO1";
static const char rec_magic[4] = "UREC";

/* Reflected CRC-32C (Castagnoli) table. */
static const uint32_t crc_tab[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
	0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
	0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
	0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
	0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
	0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
	0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
	0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
	0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
	0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
	0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
	0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
	0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
	0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
	0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
	0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
	0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
	0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
	0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
	0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
	0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
	0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351};

static uint32_t crc32c_sw(uint32_t crc, const unsigned char *p, size_t n)
{
	while (n--)
		crc = crc_tab[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
/* The SSE4.2 crc32 instruction computes exactly this CRC, 8 bytes a step:
 * a 200 MiB journal is checked in a blink instead of a second. */
__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t crc, const unsigned char *p, size_t n)
{
	uint64_t c = crc;

	for (; n >= 8; n -= 8, p += 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
	}
	crc = (uint32_t)c;
	while (n--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}
#endif

uint32_t ctl_crc32c(uint32_t crc, const void *p, size_t n)
{
	crc = ~crc;
#if defined(__x86_64__)
	if (CPU_FEATURE_ACTIVE(SSE4_2))
		return ~crc32c_hw(crc, p, n);
#endif
	return ~crc32c_sw(crc, p, n);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p + 4) << 32 | get32(p);
}

/* pread of all N bytes; a short read is -ENODATA. */
static int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	ssize_t r = ctl_pread_full(fd, buf, n, off);

	if (r < 0)
		return (int)r;
	return (size_t)r == n ? 0 : -ENODATA;
}

struct ctl_undo {
	int fd;
	int sync; /* fdatasync each record */
	uint64_t end; /* journal size: where the next record goes */
	uint64_t records, bytes;
};

int ctl_undo_id_get(int fd, struct ctl_undo_id *id)
{
	struct statx sx;
	struct stat st;
	long buf = 0;

	memset(id, 0, sizeof(*id));
	if (fstat(fd, &st) < 0)
		return neg_errno();
	id->dev = (uint64_t)st.st_dev;
	id->ino = (uint64_t)st.st_ino;
	/* The kernel stores an int; a long leaves room for any that would
	 * store more. Its first 4 bytes are that int on either byte order. */
	if (ioctl(fd, FS_IOC_GETVERSION, &buf) == 0) {
		memcpy(&id->gen, &buf, sizeof(id->gen));
		id->has |= CTL_UNDO_ID_GEN;
	} else if (errno != ENOTTY && errno != EOPNOTSUPP && errno != EINVAL &&
		   errno != ENOSYS) {
		return neg_errno();
	}
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) < 0)
		return neg_errno();
	if (sx.stx_mask & STATX_BTIME) {
		id->btime_sec = sx.stx_btime.tv_sec;
		id->btime_nsec = sx.stx_btime.tv_nsec;
		id->has |= CTL_UNDO_ID_BTIME;
	}
	return 0;
}

int ctl_undo_id_same(const struct ctl_undo_id *journaled,
		     const struct ctl_undo_id *found)
{
	const struct ctl_undo_id *a = journaled, *b = found;

	if (a->dev != b->dev || a->ino != b->ino)
		return 0;
	if ((a->has & CTL_UNDO_ID_GEN) &&
	    (!(b->has & CTL_UNDO_ID_GEN) || a->gen != b->gen))
		return 0;
	if ((a->has & CTL_UNDO_ID_BTIME) &&
	    (!(b->has & CTL_UNDO_ID_BTIME) || a->btime_sec != b->btime_sec ||
	     a->btime_nsec != b->btime_nsec))
		return 0;
	return 1;
}

/*
 * Whether the journal of INFO may be applied to the file FOUND. Version 1
 * recorded no generation or birth time: a file born before the journal
 * was made, with its device and inode, is the journaled one (a number
 * reused later goes to a file born later); one born that second or later,
 * or of unknown birth, may not be.
 */
static int journal_fits(const struct ctl_undo_info *info,
			const struct ctl_undo_id *found)
{
	if (info->version >= 2)
		return ctl_undo_id_same(&info->id, found);
	return info->id.dev == found->dev && info->id.ino == found->ino &&
	       (found->has & CTL_UNDO_ID_BTIME) && found->btime_sec >= 0 &&
	       (uint64_t)found->btime_sec < info->created;
}

/* Read and check the header of journal FD. Returns its length or -errno. */
static int read_header(int fd, struct ctl_undo_info *info)
{
	unsigned char h[CTL_UNDO_HDR_SIZE];
	uint32_t plen, hlen, crc, fixed, version;
	int err;

	err = pread_all(fd, h, CTL_UNDO_HDR_SIZE_V1, 0);
	if (err == -ENODATA)
		return -EBADMSG;
	if (err < 0)
		return err;
	version = get32(h + 8);
	if (memcmp(h, hdr_magic, 8) || version < 1 ||
	    version > CTL_UNDO_VERSION)
		return -EBADMSG;
	fixed = version == 1 ? CTL_UNDO_HDR_SIZE_V1 : CTL_UNDO_HDR_SIZE;
	if (fixed > CTL_UNDO_HDR_SIZE_V1) {
		err = pread_all(fd, h + CTL_UNDO_HDR_SIZE_V1,
				fixed - CTL_UNDO_HDR_SIZE_V1,
				CTL_UNDO_HDR_SIZE_V1);
		if (err < 0)
			return err == -ENODATA ? -EBADMSG : err;
	}
	hlen = get32(h + 12);
	plen = get32(h + 48);
	if (plen == 0 || plen >= sizeof(info->path) || hlen != fixed + plen)
		return -EBADMSG;
	err = pread_all(fd, info->path, plen, fixed);
	if (err < 0)
		return err == -ENODATA ? -EBADMSG : err;
	info->path[plen] = '\0';
	crc = ctl_crc32c(ctl_crc32c(0, h, fixed - 4), info->path, plen);
	if (crc != get32(h + fixed - 4))
		return -EBADMSG;
	info->version = version;
	memset(&info->id, 0, sizeof(info->id));
	info->id.dev = get64(h + 16);
	info->id.ino = get64(h + 24);
	info->size = get64(h + 32);
	info->created = get64(h + 40);
	if (version >= 2) {
		info->id.has = get32(h + 52) &
			       (CTL_UNDO_ID_GEN | CTL_UNDO_ID_BTIME);
		info->id.gen = get32(h + 56);
		info->id.btime_nsec = get32(h + 60);
		info->id.btime_sec = (int64_t)get64(h + 64);
	}
	return (int)hlen;
}

/* Room for a header: the fixed part and the target's path. */
#define HDR_MAX (CTL_UNDO_HDR_SIZE + PATH_MAX)

/* The header of a new journal for the file TFD (identity ID, path TPATH)
 * into H (HDR_MAX bytes). Returns its length or -errno. */
static int format_header(unsigned char *h, int tfd,
			 const struct ctl_undo_id *id, const char *tpath)
{
	size_t plen = strlen(tpath);
	struct stat tst;

	if (plen == 0 || plen >= PATH_MAX)
		return -ENAMETOOLONG;
	if (fstat(tfd, &tst) < 0)
		return neg_errno();
	memset(h, 0, CTL_UNDO_HDR_SIZE);
	memcpy(h, hdr_magic, 8);
	put32(h + 8, CTL_UNDO_VERSION);
	put32(h + 12, (uint32_t)(CTL_UNDO_HDR_SIZE + plen));
	put64(h + 16, id->dev);
	put64(h + 24, id->ino);
	put64(h + 32, (uint64_t)tst.st_size);
	put64(h + 40, (uint64_t)time(NULL));
	put32(h + 48, (uint32_t)plen);
	put32(h + 52, id->has);
	put32(h + 56, id->gen);
	put32(h + 60, id->btime_nsec);
	put64(h + 64, (uint64_t)id->btime_sec);
	memcpy(h + CTL_UNDO_HDR_SIZE, tpath, plen);
	put32(h + 92, ctl_crc32c(ctl_crc32c(0, h, 92), tpath, plen));
	return (int)(CTL_UNDO_HDR_SIZE + plen);
}

/* True when the N bytes of FD from OFF are all zero (an extended but
 * never written tail). */
static int all_zero(int fd, uint64_t off, uint64_t n, unsigned char *buf,
		    size_t blen)
{
	while (n) {
		size_t k = n < blen ? (size_t)n : blen;

		if (pread_all(fd, buf, k, off) < 0)
			return 0;
		for (size_t i = 0; i < k; i++)
			if (buf[i])
				return 0;
		off += k;
		n -= k;
	}
	return 1;
}

struct rec {
	uint64_t jpos; /* of the data in the journal */
	uint64_t off;
	uint32_t len;
};

struct scan {
	struct rec *v;
	size_t n, cap;
	uint64_t bytes;
	uint64_t end; /* end of the last valid record */
	uint64_t torn; /* bytes after it */
};

#define BUF_SIZE (1U << 20)

/* Check the CRC of LEN data bytes at JPOS. */
static int data_ok(int fd, uint64_t jpos, uint32_t len, uint32_t want,
		   unsigned char *buf)
{
	uint32_t crc = 0;

	while (len) {
		size_t k = len < BUF_SIZE ? len : BUF_SIZE;
		int err = pread_all(fd, buf, k, jpos);

		if (err < 0)
			return err;
		crc = ctl_crc32c(crc, buf, k);
		jpos += k;
		len -= (uint32_t)k;
	}
	return crc == want;
}

/* Walk the records from HLEN to the journal's end SIZE. With KEEP the
 * records are collected in SC->v. Returns 0, -EBADMSG or -errno. */
static int scan_records(int fd, uint64_t hlen, uint64_t size, int keep,
			struct scan *sc)
{
	_cleanup_free_ unsigned char *buf = malloc(BUF_SIZE);
	uint64_t pos = hlen;

	if (!buf)
		return -ENOMEM;
	sc->end = pos;
	while (pos < size) {
		unsigned char r[CTL_UNDO_REC_SIZE];
		uint64_t rem = size - pos;
		uint32_t len;
		int ok;

		if (rem < sizeof(r))
			break;
		ok = pread_all(fd, r, sizeof(r), pos);
		if (ok < 0)
			return ok;
		if (memcmp(r, rec_magic, 4) ||
		    ctl_crc32c(0, r, 20) != get32(r + 20)) {
			if (all_zero(fd, pos, rem, buf, BUF_SIZE))
				break;
			return -EBADMSG;
		}
		len = get32(r + 4);
		if (len == 0 || len > CTL_UNDO_REC_MAX ||
		    get64(r + 8) > (uint64_t)INT64_MAX - len)
			return -EBADMSG;
		if (len > rem - sizeof(r))
			break; /* cut short: torn */
		ok = data_ok(fd, pos + sizeof(r), len, get32(r + 16), buf);
		if (ok < 0)
			return ok;
		if (!ok) {
			uint64_t end = pos + sizeof(r) + len;

			/* The last record, maybe followed by a size extended
			 * before its blocks were written: torn. */
			if (all_zero(fd, end, size - end, buf, BUF_SIZE))
				break;
			return -EBADMSG;
		}
		if (keep) {
			if (sc->n == sc->cap) {
				size_t cap = sc->cap ? 2 * sc->cap : 64;
				struct rec *v =
					realloc(sc->v, cap * sizeof(*v));

				if (!v)
					return -ENOMEM;
				sc->v = v;
				sc->cap = cap;
			}
			sc->v[sc->n].jpos = pos + sizeof(r);
			sc->v[sc->n].off = get64(r + 8);
			sc->v[sc->n].len = len;
		}
		sc->n++;
		sc->bytes += len;
		pos += sizeof(r) + len;
		sc->end = pos;
	}
	sc->torn = size - sc->end;
	return 0;
}

/* FD, opened O_NONBLOCK (a FIFO named by mistake must not hang), is a
 * regular file (-EISDIR, -CTL_ENOTREG): made blocking again, *ST filled.
 * Returns 0 or -errno. */
static int regular_blocking(int fd, struct stat *st)
{
	if (fstat(fd, st) < 0)
		return neg_errno();
	if (!S_ISREG(st->st_mode))
		return S_ISDIR(st->st_mode) ? -EISDIR : -CTL_ENOTREG;
	return fcntl(fd, F_SETFL, 0) < 0 ? neg_errno() : 0;
}

/*
 * Check and lock the journal FD just opened (shared for CHECK): a regular
 * file, not the target FOUND itself, not in use by another writer. Fills
 * *ST. Returns 0 or -errno.
 */
static int lock_journal(int fd, int check, const struct ctl_undo_id *found,
			struct stat *st)
{
	int err = regular_blocking(fd, st);

	if (err < 0)
		return err;
	if (flock(fd, (check ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0)
		return neg_errno();
	if ((uint64_t)st->st_dev == found->dev &&
	    (uint64_t)st->st_ino == found->ino)
		return -EINVAL;
	return 0;
}

/* Whether PATH still names the file of ST (nobody renamed another over
 * it meanwhile). */
static int still_named(const char *path, const struct stat *st)
{
	struct stat now;

	return stat(path, &now) == 0 && now.st_dev == st->st_dev &&
	       now.st_ino == st->st_ino;
}

/* Put the header HDR of HLEN bytes in place of the empty journal PATH
 * (at its real name: a symlink stays a symlink). FLAGS: CTL_FILE_*. */
static int replace_empty(const char *path, const void *hdr, size_t hlen,
			 unsigned int flags)
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		return neg_errno();
	return ctl_file_write_atomic_flags(real, hdr, hlen, 0600, flags);
}

/*
 * Open and lock journal PATH (see lock_journal), filling *ST. A journal
 * that does not exist yet, or an empty file (from mktemp, say), is first
 * given its header HDR whole through the atomic writer, so that a crash
 * never leaves a journal with a cut header; then it is opened. With CHECK
 * nothing is written; with SYNC the header is flushed. Returns the fd or
 * -errno (-ENOENT: no journal).
 */
static int open_journal(const char *path, int check, int sync,
			const struct ctl_undo_id *found, const void *hdr,
			size_t hlen, struct stat *st)
{
	unsigned int fl = sync ? 0 : CTL_FILE_NO_SYNC;
	int gone = -EAGAIN;

	/* Each turn makes the journal or finds it made (by another writer
	 * meanwhile); a third turn would mean a name that keeps changing. */
	for (int turn = 0; turn < 3; turn++) {
		/* O_NONBLOCK: a FIFO named by mistake must not hang. */
		int fd = open(path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		int err;

		if (fd < 0 && (errno != ENOENT || check))
			return neg_errno();
		if (fd < 0) {
			err = ctl_file_write_atomic_flags(
				path, hdr, hlen, 0600, fl | CTL_FILE_NOREPLACE);
			if (err < 0 && err != -EEXIST)
				return err;
			/* Taken but not there: a symlink to nowhere. */
			if (err == -EEXIST)
				gone = -ENOENT;
			continue;
		}
		err = lock_journal(fd, check, found, st);
		if (err == 0 && (st->st_size > 0 || check))
			return fd;
		/* Locked and still the file PATH names: nobody else can be
		 * writing records into it while it is replaced. */
		if (err == 0 && still_named(path, st))
			err = replace_empty(path, hdr, hlen, fl);
		close(fd);
		if (err < 0)
			return err;
	}
	return gone;
}

int ctl_undo_open(const char *path, int tfd, const char *tpath,
		  unsigned int flags, struct ctl_undo_info *info,
		  struct ctl_undo **out)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ unsigned char *hdr = malloc(HDR_MAX);
	struct ctl_undo_info local;
	struct scan sc = {0};
	struct stat st;
	struct ctl_undo *u;
	int sync = !(flags & CTL_UNDO_NO_SYNC), check = flags & CTL_UNDO_CHECK;
	int hlen, err;

	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	*out = NULL;
	if (!hdr)
		return -ENOMEM;
	err = ctl_undo_id_get(tfd, &info->found);
	if (err < 0)
		return err;
	hlen = format_header(hdr, tfd, &info->found, tpath);
	if (hlen < 0)
		return hlen;
	fd = open_journal(path, check, sync, &info->found, hdr, (size_t)hlen,
			  &st);
	/* Not there yet: could the real run create it? */
	if (fd == -ENOENT && check) {
		err = ctl_file_dest_ok(path);
		return err < 0 ? err : 0;
	}
	if (fd < 0)
		return fd;
	if (check && st.st_size == 0)
		return 0;
	hlen = read_header(fd, info);
	if (hlen < 0)
		return hlen;
	/* Its identity is too weak to add records under. */
	if (info->version < CTL_UNDO_VERSION)
		return -EPROTO;
	if (!ctl_undo_id_same(&info->id, &info->found))
		return -EXDEV;
	err = scan_records(fd, (uint64_t)hlen, (uint64_t)st.st_size, 0, &sc);
	if (err < 0 || check)
		return err;
	/* A torn record was never followed by a change: drop it so that ours
	 * lands right after the last good one. */
	if (sc.torn && ftruncate(fd, (off_t)sc.end) < 0)
		return neg_errno();
	if (sc.torn && sync && fdatasync(fd) < 0)
		return neg_errno();
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->fd = TAKE_FD(fd);
	u->sync = sync;
	u->end = sc.end;
	*out = u;
	return 0;
}

int ctl_undo_record(struct ctl_undo *u, uint64_t off, const void *orig,
		    size_t len)
{
	unsigned char r[CTL_UNDO_REC_SIZE];
	int err;

	if (len == 0 || len > CTL_UNDO_REC_MAX ||
	    off > (uint64_t)INT64_MAX - len)
		return -EINVAL;
	memcpy(r, rec_magic, 4);
	put32(r + 4, (uint32_t)len);
	put64(r + 8, off);
	put32(r + 16, ctl_crc32c(0, orig, len));
	put32(r + 20, ctl_crc32c(0, r, 20));
	err = ctl_pwrite_full(u->fd, r, sizeof(r), u->end);
	if (!err)
		err = ctl_pwrite_full(u->fd, orig, len, u->end + sizeof(r));
	if (!err && u->sync && fdatasync(u->fd) < 0)
		err = neg_errno();
	if (err < 0) {
		/* Best effort: a leftover is trimmed at the next open. */
		if (ftruncate(u->fd, (off_t)u->end) == 0 && u->sync)
			fdatasync(u->fd);
		return err;
	}
	u->end += sizeof(r) + len;
	u->records++;
	u->bytes += len;
	return 0;
}

int ctl_undo_journal(void *undo, uint64_t off, const void *orig, size_t len)
{
	return ctl_undo_record(undo, off, orig, len);
}

void ctl_undo_counts(const struct ctl_undo *u, uint64_t *records,
		     uint64_t *bytes)
{
	*records = u->records;
	*bytes = u->bytes;
}

int ctl_undo_close(struct ctl_undo *u)
{
	int err = 0;

	if (!u)
		return 0;
	if (close(u->fd) < 0)
		err = neg_errno();
	free(u);
	return err;
}

/* Copy record R from the journal back into the target. */
static int restore(int jfd, int tfd, const struct rec *r, unsigned char *buf)
{
	uint64_t done = 0;

	while (done < r->len) {
		size_t k = r->len - done < BUF_SIZE ? r->len - done : BUF_SIZE;
		int err = pread_all(jfd, buf, k, r->jpos + done);

		if (!err)
			err = ctl_pwrite_full(tfd, buf, k, r->off + done);
		if (err < 0)
			return err;
		done += k;
	}
	return 0;
}

static int by_off(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Bytes of [FROM, TO) that no record of SC covers, into *LOST. */
static int uncovered(const struct scan *sc, uint64_t from, uint64_t to,
		     uint64_t *lost)
{
	_cleanup_free_ struct rec *v = NULL;
	uint64_t at = from, covered = 0;

	if (sc->n) {
		v = malloc(sc->n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memcpy(v, sc->v, sc->n * sizeof(*v));
		qsort(v, sc->n, sizeof(*v), by_off);
	}
	/* Sorted by start: AT is the end of what is counted so far. */
	for (size_t i = 0; i < sc->n && at < to; i++) {
		uint64_t lo = v[i].off, hi = v[i].off + v[i].len;

		if (hi <= at || lo >= to)
			continue;
		if (lo < at)
			lo = at;
		if (hi > to)
			hi = to;
		covered += hi - lo;
		at = hi;
	}
	*lost = to - from - covered;
	return 0;
}

/* Open the journal's target PATH without blocking on a FIFO put in its
 * place: it must be a regular file. Returns the fd or -errno. */
static int open_target(const char *path, int dry, struct stat *st)
{
	_cleanup_close_ int fd = -1;
	int err;

	fd = open(path, (dry ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_NOCTTY |
				O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	err = regular_blocking(fd, st);
	if (err < 0)
		return err;
	return TAKE_FD(fd);
}

int ctl_undo_apply(const char *path, unsigned int flags,
		   void (*each)(void *arg, uint64_t off, uint64_t len),
		   void *arg, struct ctl_undo_info *info)
{
	_cleanup_close_ int jfd = -1, tfd = -1;
	_cleanup_free_ unsigned char *buf = NULL;
	int dry = flags & CTL_UNDO_DRY_RUN;
	struct scan sc = {0};
	struct stat st;
	int hlen, err;

	memset(info, 0, sizeof(*info));
	jfd = ctl_file_open_input(AT_FDCWD, path);
	if (jfd < 0)
		return jfd;
	if (fstat(jfd, &st) < 0)
		return neg_errno();
	if (flock(jfd, LOCK_EX | LOCK_NB) < 0)
		return neg_errno();
	hlen = read_header(jfd, info);
	if (hlen < 0)
		return hlen;
	err = scan_records(jfd, (uint64_t)hlen, (uint64_t)st.st_size, 1, &sc);
	info->records = sc.n;
	info->bytes = sc.bytes;
	info->torn = sc.torn;
	if (err < 0)
		goto out;
	info->on_target = 1;
	tfd = open_target(info->path, dry, &st);
	if (tfd < 0) {
		err = tfd;
		goto out;
	}
	info->cur_size = (uint64_t)st.st_size;
	err = ctl_undo_id_get(tfd, &info->found);
	if (err < 0)
		goto out;
	if (!journal_fits(info, &info->found)) {
		err = -EXDEV;
		goto out;
	}
	for (size_t i = 0; each && i < sc.n; i++)
		each(arg, sc.v[i].off, sc.v[i].len);
	if (info->cur_size < info->size) {
		err = uncovered(&sc, info->cur_size, info->size, &info->lost);
		if (err < 0)
			goto out;
	}
	if (dry)
		goto out;
	buf = malloc(BUF_SIZE);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	info->restoring = 1;
	for (size_t i = sc.n; i-- > 0;) {
		err = restore(jfd, tfd, &sc.v[i], buf);
		if (err < 0)
			goto out;
		info->applied++;
	}
	if (fstat(tfd, &st) < 0) {
		err = neg_errno();
		goto out;
	}
	if ((uint64_t)st.st_size > info->size) {
		if (ftruncate(tfd, (off_t)info->size) < 0) {
			err = neg_errno();
			goto out;
		}
		info->truncated = 1;
	}
	if (!(flags & CTL_UNDO_NO_SYNC) && fdatasync(tfd) < 0)
		err = neg_errno();
out:
	free(sc.v);
	return err;
}
