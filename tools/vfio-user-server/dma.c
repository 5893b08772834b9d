// SPDX-License-Identifier: GPL-2.0
/*
 * DMA: DMA_MAP / DMA_UNMAP bookkeeping (16 regions of up to 8 TiB, no
 * overlaps) and the sample device's DMA engine, which moves data between
 * BAR2 and client memory either directly (fd-backed regions, mmap or
 * pread/pwrite with FILE_IO) or with DMA_READ / DMA_WRITE messages
 * chunked by the client's max_data_xfer_size (always, with
 * --dma-messages or the MESSAGES mode register).
 *
 * A mapping of client memory may raise SIGBUS (an IOVA the client has
 * not mapped or has revoked): accesses through it run under a SIGBUS
 * handler that ends them with EFAULT instead of killing the server.
 * The hammer threads (a test aid) access the mappings concurrently
 * with the main thread; map and unmap take maps_lock for writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "server.h"

static pthread_rwlock_t maps_lock = PTHREAD_RWLOCK_INITIALIZER;
/* volatile: memcpy() must not move across its stores. */
static __thread sigjmp_buf *volatile bus_jmp;
static uint32_t sigbus_count;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (bus_jmp) {
		__atomic_add_fetch(&sigbus_count, 1, __ATOMIC_RELAXED);
		siglongjmp(*bus_jmp, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void vus_dma_init(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO | SA_NODEFER };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

uint32_t vus_dma_sigbus_count(void)
{
	return __atomic_load_n(&sigbus_count, __ATOMIC_RELAXED);
}

/* memcpy() to or from a mapping of client memory: 0 or EFAULT. */
static int mapped_copy(void *dst, const void *src, size_t len)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1)) {
		bus_jmp = NULL;
		return EFAULT;
	}
	bus_jmp = &jb;
	memcpy(dst, src, len);
	bus_jmp = NULL;
	return 0;
}

/* ---- hammer threads --------------------------------------------------- */

static pthread_t hammer_tids[VUB_SAMPLE_HAMMER_MAX];
static uint32_t hammer_nr, hammer_loops;
static volatile int hammer_stop;

static struct vus_dma_region *find_region(struct vus_dev *d, uint64_t addr,
					  uint64_t len)
{
	int i;

	for (i = 0; i < VUS_MAX_DMA_REGIONS; i++) {
		struct vus_dma_region *o = &d->dma[i];

		if (o->used && addr >= o->iova && addr - o->iova < o->size &&
		    len <= o->size - (addr - o->iova))
			return o;
	}
	return NULL;
}

/* One pass: increment one byte in every 256 of [ADDR, ADDR + LEN). */
static void hammer_pass(struct vus_dev *d)
{
	uint64_t addr = __atomic_load_n(&d->dma_addr, __ATOMIC_RELAXED);
	uint32_t len = __atomic_load_n(&d->dma_len, __ATOMIC_RELAXED);
	struct vus_dma_region *r;
	volatile uint8_t *p;
	sigjmp_buf jb;
	uint32_t i;

	pthread_rwlock_rdlock(&maps_lock);
	r = find_region(d, addr, len);
	if (r && r->map) {
		p = (uint8_t *)r->map + r->map_skew + (addr - r->iova);
		if (!sigsetjmp(jb, 1)) {
			bus_jmp = &jb;
			for (i = 0; i < len; i += 256)
				p[i] = p[i] + 1;
		}
		bus_jmp = NULL;
	}
	pthread_rwlock_unlock(&maps_lock);
}

static void *hammer_main(void *arg)
{
	struct vus_dev *d = arg;

	while (!hammer_stop) {
		hammer_pass(d);
		__atomic_add_fetch(&hammer_loops, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

uint32_t vus_dma_hammer_loops(void)
{
	return __atomic_load_n(&hammer_loops, __ATOMIC_RELAXED);
}

void vus_dma_hammer(struct vus_dev *d, uint32_t threads)
{
	uint32_t i;

	hammer_stop = 1;
	for (i = 0; i < hammer_nr; i++)
		pthread_join(hammer_tids[i], NULL);
	hammer_nr = 0;
	hammer_stop = 0;
	d->hammer_threads = 0;
	if (threads > VUB_SAMPLE_HAMMER_MAX)
		threads = VUB_SAMPLE_HAMMER_MAX;
	for (i = 0; i < threads; i++) {
		if (pthread_create(&hammer_tids[i], NULL, hammer_main, d))
			break;
		hammer_nr++;
	}
	d->hammer_threads = hammer_nr;
	if (threads)
		vus_log("DMA hammer: %u threads", hammer_nr);
}

#define DMA_MAP_FLAGS	(VFIO_USER_F_DMA_REGION_READ | \
			 VFIO_USER_F_DMA_REGION_WRITE | \
			 VFIO_USER_F_DMA_REGION_MMAP | \
			 VFIO_USER_F_DMA_REGION_FILE_IO)

static void region_release(struct vus_dma_region *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

void vus_dma_release(struct vus_dev *d)
{
	int i;

	vus_dma_hammer(d, 0);
	pthread_rwlock_wrlock(&maps_lock);
	for (i = 0; i < VUS_MAX_DMA_REGIONS; i++)
		if (d->dma[i].used)
			region_release(&d->dma[i]);
	pthread_rwlock_unlock(&maps_lock);
}

uint32_t vus_dma_nr_regions(const struct vus_dev *d)
{
	uint32_t n = 0;
	int i;

	for (i = 0; i < VUS_MAX_DMA_REGIONS; i++)
		n += d->dma[i].used;
	return n;
}

int vus_dma_map(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_dma_map *dm = (void *)m->data;
	struct vus_dev *d = c->dev;
	struct vus_dma_region *r = NULL;
	int fd = m->nfds ? m->fds[0] : -1;
	int i;

	if (m->len != sizeof(*dm) || dm->argsz < sizeof(*dm)) {
		vus_log("DMA_MAP: bad size %u", m->len);
		return -EINVAL;
	}
	if (m->nfds > 1 || (dm->flags & ~DMA_MAP_FLAGS) ||
	    ((dm->flags & VFIO_USER_F_DMA_REGION_MMAP) &&
	     (dm->flags & VFIO_USER_F_DMA_REGION_FILE_IO)) ||
	    ((dm->flags & (VFIO_USER_F_DMA_REGION_MMAP |
			   VFIO_USER_F_DMA_REGION_FILE_IO)) && fd < 0)) {
		vus_log("DMA_MAP: bad flags %#x / %d fds", dm->flags, m->nfds);
		return -EINVAL;
	}
	if (dm->size == 0 || dm->size > VUS_MAX_DMA_SIZE ||
	    dm->address + dm->size < dm->address) {
		vus_log("DMA_MAP: bad range %#llx+%#llx",
			(unsigned long long)dm->address,
			(unsigned long long)dm->size);
		return -EINVAL;
	}
	for (i = 0; i < VUS_MAX_DMA_REGIONS; i++) {
		struct vus_dma_region *o = &d->dma[i];

		if (!o->used) {
			if (!r)
				r = o;
			continue;
		}
		if (dm->address < o->iova + o->size &&
		    o->iova < dm->address + dm->size) {
			vus_log("DMA_MAP: %#llx+%#llx overlaps a mapping",
				(unsigned long long)dm->address,
				(unsigned long long)dm->size);
			return -EEXIST;
		}
	}
	if (!r) {
		vus_log("DMA_MAP: too many regions");
		return -ENOSPC;
	}
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->iova = dm->address;
	r->size = dm->size;
	r->flags = dm->flags;
	r->offset = dm->offset;
	if (fd >= 0 && vus_opts.dma_messages) {
		close(fd);		/* messages only: ignore the fd */
		m->fds[0] = -1;
		fd = -1;
	}
	if (fd >= 0 && !(dm->flags & VFIO_USER_F_DMA_REGION_FILE_IO)) {
		long pg = sysconf(_SC_PAGESIZE);
		uint64_t base = dm->offset & ~(uint64_t)(pg - 1);
		int prot = PROT_READ;
		void *p;

		if (dm->flags & VFIO_USER_F_DMA_REGION_WRITE)
			prot |= PROT_WRITE;
		r->map_skew = dm->offset - base;
		r->map_len = r->map_skew + dm->size;
		p = mmap(NULL, r->map_len, prot, MAP_SHARED, fd, base);
		if (p == MAP_FAILED) {
			int err = errno;

			vus_log("DMA_MAP: mmap: %m");
			memset(r, 0, sizeof(*r));
			r->fd = -1;
			return -err;
		}
		r->map = p;
		/* SPDK needs 2 MiB-aligned mappings of 2 MiB-aligned offsets. */
		if (!(base & 0x1fffff))
			vus_log("DMA_MAP: mapped at a %s2 MiB-aligned address",
				(uintptr_t)p & 0x1fffff ? "not " : "");
		close(fd);		/* the mapping keeps the file */
		m->fds[0] = -1;
	} else if (fd >= 0) {
		r->fd = fd;			/* FILE_IO: pread/pwrite */
		m->fds[0] = -1;
	}
	pthread_rwlock_wrlock(&maps_lock);
	r->used = true;
	pthread_rwlock_unlock(&maps_lock);
	vus_log("DMA_MAP %#llx+%#llx flags %#x %s",
		(unsigned long long)r->iova, (unsigned long long)r->size,
		r->flags, fd < 0 ? "(messages)" : r->map ? "(mmap)" : "(file io)");
	return 0;
}

int vus_dma_unmap(struct vus_conn *c, struct vus_msg *m)
{
	struct vfio_user_dma_unmap *um = (void *)m->data, out;
	struct vus_dev *d = c->dev;
	int i;

	if (m->len != sizeof(*um) || um->argsz < sizeof(*um) ||
	    um->argsz > VUS_MAX_ARGSZ) {
		vus_log("DMA_UNMAP: bad size %u", m->len);
		return -EINVAL;
	}
	if (um->flags == VFIO_USER_F_DMA_UNMAP_ALL) {
		if (um->address || um->size)
			return -EINVAL;
		vus_dma_release(d);
		vus_log("DMA_UNMAP all");
		goto reply;
	}
	if (um->flags) {
		vus_log("DMA_UNMAP: bad flags %#x", um->flags);
		return -EINVAL;
	}
	for (i = 0; i < VUS_MAX_DMA_REGIONS; i++) {
		struct vus_dma_region *r = &d->dma[i];

		if (r->used && r->iova == um->address && r->size == um->size) {
			pthread_rwlock_wrlock(&maps_lock);
			region_release(r);
			pthread_rwlock_unlock(&maps_lock);
			vus_log("DMA_UNMAP %#llx+%#llx",
				(unsigned long long)um->address,
				(unsigned long long)um->size);
			goto reply;
		}
	}
	vus_log("DMA_UNMAP: no mapping %#llx+%#llx",
		(unsigned long long)um->address, (unsigned long long)um->size);
	return -ENOENT;
reply:
	out = *um;
	out.argsz = sizeof(out);
	vus_reply(c, m, &out, sizeof(out), NULL, 0);
	return 1;
}

static int reply_errno(const struct vus_msg *r)
{
	if (r->hdr.error_no == 0 || r->hdr.error_no > VFIO_USER_MAX_ERRNO)
		return EINVAL;
	return r->hdr.error_no;
}

/*
 * One DMA_WRITE (to host) or DMA_READ (from host) message.  The dma-*
 * faults bend the request here; its reply is then checked against what
 * was actually sent (a client that accepts a faulty request must still
 * echo it).
 */
static int dma_msg(struct vus_conn *c, bool to_host, uint64_t addr,
		   uint8_t *buf, uint32_t count)
{
	uint16_t cmd = to_host ? VFIO_USER_DMA_WRITE : VFIO_USER_DMA_READ;
	struct vfio_user_dma_region_access *req, *rep;
	uint32_t data = to_host ? count : 0, len, extra = 0;
	uint32_t real = count;
	struct vus_msg *r;
	int ret;

	if (vus_fault_hit(VUS_F_DMA_OVERSIZED, cmd)) {
		count = c->client_max_xfer + 4096;
		data = to_host ? count : 0;
		vus_log("fault dma-oversized: %s count %u", vus_cmd_name(cmd),
			count);
	}
	if (vus_fault_hit(VUS_F_DMA_MALFORMED, cmd)) {
		data = to_host ? count / 2 : 8;
		vus_log("fault dma-malformed: %s count %u with %u data bytes",
			vus_cmd_name(cmd), count, data);
	}
	if (vus_fault_hit(VUS_F_DMA_BAD_ADDR, cmd)) {
		addr = 1ULL << 62;
		vus_log("fault dma-bad-addr: %s address %#llx",
			vus_cmd_name(cmd), (unsigned long long)addr);
	}
	if (vus_fault_hit(VUS_F_DMA_TRUNCATED, cmd)) {
		extra = 64;
		vus_log("fault dma-truncated: %s msg_size 64 bytes too large",
			vus_cmd_name(cmd));
	}
	len = sizeof(*req) + data;
	req = calloc(1, len);
	if (!req)
		return ENOMEM;
	req->address = addr;
	req->count = count;
	if (data)
		memcpy(req->data, buf, data < real ? data : real);
	if (extra) {
		/* Announce more than we send, then ignore the client. */
		ret = vus_send_partial_request(c, cmd, req, len, extra);
		free(req);
		c->hung = true;
		return ret ? ECONNRESET : ETIMEDOUT;
	}
	ret = vus_request(c, cmd, req, len, &r);
	free(req);
	if (ret)
		return -ret;
	if (r->hdr.flags & VFIO_USER_F_ERROR) {
		ret = reply_errno(r);
		vus_log("DMA %s %#llx+%u: client error %u",
			to_host ? "write" : "read", (unsigned long long)addr,
			count, r->hdr.error_no);
		goto out;
	}
	rep = (void *)r->data;
	ret = EINVAL;
	if (r->len != sizeof(*rep) + (to_host ? 0 : count) ||
	    rep->address != addr || rep->count != count || count != real) {
		vus_log("DMA %s: malformed reply (size %u)",
			to_host ? "write" : "read", r->len);
		goto out;
	}
	if (!to_host)
		memcpy(buf, rep->data, count);
	ret = 0;
out:
	vus_free_msg(r);
	return ret;
}

static int dma_run(struct vus_conn *c, struct vus_dma_region *r, bool to_host,
		   uint64_t addr, uint8_t *buf, uint32_t len, uint32_t mode)
{
	uint64_t off = addr - r->iova;
	uint32_t chunk = c->client_max_xfer, done = 0;
	ssize_t n;

	if (r->map && mode != VUB_SAMPLE_DMA_MODE_MESSAGES) {
		uint8_t *p = (uint8_t *)r->map + r->map_skew + off;
		uint32_t nd = mode == VUB_SAMPLE_DMA_MODE_SPLIT ? len / 2 : len;
		int ret;

		if (to_host)
			ret = mapped_copy(p, buf, nd);
		else
			ret = mapped_copy(buf, p, nd);
		if (ret)
			return ret;
		c->dev->dma_direct++;
		if (nd == len)
			return 0;
		done = nd;	/* the rest by messages */
	} else if (r->fd >= 0 && mode != VUB_SAMPLE_DMA_MODE_MESSAGES) {
		if (to_host)
			n = pwrite(r->fd, buf, len, r->offset + off);
		else
			n = pread(r->fd, buf, len, r->offset + off);
		if (n < 0)
			return errno;
		return n == len ? 0 : EFAULT;
	}
	if (chunk == 0)
		chunk = VFIO_USER_DEF_MAX_XFER_SIZE;
	while (done < len) {
		uint32_t n32 = len - done < chunk ? len - done : chunk;
		int ret = dma_msg(c, to_host, addr + done, buf + done, n32);

		if (ret)
			return ret;
		done += n32;
	}
	return 0;
}

/* The GO register: runs the whole transfer before the write is answered. */
void vus_dma_go(struct vus_conn *c)
{
	struct vus_dev *d = c->dev;
	bool to_host = d->dma_dir == VUB_SAMPLE_DMA_DIR_TO_HOST;
	uint64_t addr = d->dma_addr, len = d->dma_len;
	struct vus_dma_region *r = NULL;
	int err = 0, i;

	if (d->dma_dir != VUB_SAMPLE_DMA_DIR_TO_HOST &&
	    d->dma_dir != VUB_SAMPLE_DMA_DIR_FROM_HOST) {
		err = EINVAL;
		goto done;
	}
	if (len > VUB_SAMPLE_BAR2_SIZE ||
	    d->dma_buf_off > VUB_SAMPLE_BAR2_SIZE - len) {
		err = EINVAL;
		goto done;
	}
	if (len == 0)
		goto done;
	if (d->dma_mode == VUB_SAMPLE_DMA_MODE_LOCAL) {
		static uint8_t local[VUB_SAMPLE_BAR2_SIZE];

		if (to_host)
			memcpy(local, d->bar2 + d->dma_buf_off, len);
		else
			memcpy(d->bar2 + d->dma_buf_off, local, len);
		goto done;
	}
	for (i = 0; i < VUS_MAX_DMA_REGIONS; i++) {
		struct vus_dma_region *o = &d->dma[i];

		if (o->used && addr >= o->iova && addr - o->iova < o->size &&
		    len <= o->size - (addr - o->iova)) {
			r = o;
			break;
		}
	}
	if (!r) {
		err = EFAULT;
		goto done;
	}
	if (!(r->flags & (to_host ? VFIO_USER_F_DMA_REGION_WRITE :
			  VFIO_USER_F_DMA_REGION_READ))) {
		err = EPERM;
		goto done;
	}
	err = dma_run(c, r, to_host, addr, d->bar2 + d->dma_buf_off, len,
		      d->dma_mode);
done:
	if (err) {
		vus_log("DMA %s %#llx+%#llx: error %d",
			to_host ? "to host" : "from host",
			(unsigned long long)addr, (unsigned long long)len, err);
		d->dma_status = VUB_SAMPLE_DMA_ERR | err;
	} else {
		vus_dbg("DMA %s %#llx+%#llx done",
			to_host ? "to host" : "from host",
			(unsigned long long)addr, (unsigned long long)len);
		d->dma_status = VUB_SAMPLE_DMA_OK;
	}
	if (d->dma_irq)
		vus_irq_doorbell(d, VUB_SAMPLE_IRQ_MSIX << 16 | (d->dma_irq - 1));
}

/* ---- GUP probe -------------------------------------------------------- */

/* Whether @p (one page) can be the target of page-pinning operations. */
static uint32_t gup_try(void *p, long pg, uint32_t pvr, uint32_t splice,
			uint32_t odirect)
{
	static char tmp[65536];
	struct iovec local = { tmp, pg }, remote = { p, pg };
	uint32_t ok = 0;
	int pfd[2], fd;

	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == pg)
		ok |= pvr;
	if (!pipe(pfd)) {
		struct iovec v = { p, pg };

		if (vmsplice(pfd[1], &v, 1, 0) == pg)
			ok |= splice;
		close(pfd[0]);
		close(pfd[1]);
	}
	if (vus_opts.odirect_file) {
		fd = open(vus_opts.odirect_file, O_RDONLY | O_DIRECT);
		if (fd >= 0) {
			if (pread(fd, p, pg, 0) == pg)
				ok |= odirect;
			close(fd);
		}
	}
	return ok;
}

uint32_t vus_dma_gup_probe(struct vus_dev *d)
{
	volatile uint32_t res = VUB_SAMPLE_GUP_DONE;
	long pg = sysconf(_SC_PAGESIZE);
	struct vus_dma_region *r;
	void *heap = NULL;
	sigjmp_buf jb;

	if (vus_opts.odirect_file)
		res |= VUB_SAMPLE_GUP_ODIRECT_TRIED;
	if (!posix_memalign(&heap, pg, pg)) {
		memset(heap, 1, pg);
		res |= gup_try(heap, pg, VUB_SAMPLE_GUP_PVR_HEAP,
			       VUB_SAMPLE_GUP_SPLICE_HEAP,
			       VUB_SAMPLE_GUP_ODIRECT_HEAP);
		free(heap);
	}
	r = find_region(d, d->dma_addr & ~(uint64_t)(pg - 1), pg);
	if (!r || !r->map)
		return res;
	if (!sigsetjmp(jb, 1)) {
		volatile uint8_t *p = (uint8_t *)r->map + r->map_skew +
				      ((d->dma_addr & ~(uint64_t)(pg - 1)) -
				       r->iova);

		bus_jmp = &jb;
		(void)p[0];	/* mapped now: GUP must still refuse it */
		bus_jmp = NULL;
		res |= gup_try((void *)p, pg, VUB_SAMPLE_GUP_PVR_WINDOW,
			       VUB_SAMPLE_GUP_SPLICE_WINDOW,
			       VUB_SAMPLE_GUP_ODIRECT_WINDOW);
	}
	bus_jmp = NULL;
	vus_log("GUP probe at %#llx: %#x", (unsigned long long)d->dma_addr,
		res);
	return res;
}
