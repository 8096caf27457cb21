/*
 * media-udp: the media relay's UDP sockets, read in batches.
 *
 * Why native: node:dgram costs ~3 us of Node's C++ and JavaScript per datagram before the relay
 * sees it: a fresh ArrayBuffer (a malloc, realloc and free, and GC bookkeeping) and an `rinfo`
 * object per datagram received, one MakeCallback (with its tick-queue run) per datagram, and a
 * SendWrap, address normalisation and a callback per datagram sent (docs/srtp-performance.md).
 * Here all of a process's media sockets sit in one epoll set; when it is readable, ready
 * sockets are drained with recvmmsg(2) into one preallocated buffer, and JavaScript is called
 * once per batch with the count. Sends are a direct sendto(2) that returns the errno.
 *
 * JavaScript owns the policy (which leg a socket belongs to, latching, SRTP); this file only
 * moves datagrams. Every offset/length from JavaScript is checked against the typed array it
 * indexes. Datagrams larger than a slot are never delivered cut short: they are reported with
 * length -1 (MSG_TRUNC) so the leg counts them as dropped.
 *
 * Linux only (epoll, recvmmsg); elsewhere the gateway uses node:dgram (media.socket_engine).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* one meta record per datagram: [id, offset, length, port, family, a0, a1, a2, a3, 0] */
#define META_STRIDE 10
#define MAX_SLOTS 1024
#define MAX_EVENTS 256
/* batches per readable callback: bounded so timers and SIP get their turn under load */
#define MAX_BATCHES 8
/* datagrams offered to one recvmmsg call, and taken from one socket per batch */
#define CHUNK 8
#define PER_SOCKET 64
#define ID_BITS 16
#define MAX_SOCKETS (1 << ID_BITS)

/* a datagram the kernel had no room for yet (EAGAIN), sent when the socket is writable again */
typedef struct pending {
  struct pending *next;
  size_t len;
  struct sockaddr_storage to;
  socklen_t to_len;
  unsigned char data[];
} pending_t;

/* per socket: past this, a send is refused (ENOBUFS) rather than queued without bound */
#define MAX_PENDING 1024

typedef struct {
  int fd; /* -1: free */
  pending_t *head, *tail;
  uint32_t pending;
  int family;
  uint32_t gen;
  /* the last destination send() parsed: a leg sends to one address, so text is parsed once */
  char dest_text[INET6_ADDRSTRLEN];
  struct sockaddr_storage dest;
  socklen_t dest_len;
  int dest_port;
} sock_t;

typedef struct {
  napi_env env;
  int epfd;
  uv_poll_t *poll;
  int started;
  int open_count;
  sock_t **table;
  uint32_t capacity;
  uint32_t *free_list; /* FIFO of free indices: a closed socket's id is not reused at once */
  uint32_t free_head, free_tail, free_count;
  uint32_t next_index;
  /* datagrams queued on EAGAIN, and queued ones the kernel then refused (stats()) */
  double queued_total, queue_failed_total;
  /* batch buffers, owned by JavaScript (kept alive by references) */
  napi_ref rx_ref, meta_ref, fn_ref, resource_ref;
  napi_async_context async;
  unsigned char *rx;
  size_t rx_len;
  int32_t *meta;
  size_t meta_len;
  uint32_t slots;
  uint32_t slot_size;
  struct mmsghdr msgs[MAX_SLOTS];
  struct iovec iov[MAX_SLOTS];
  struct sockaddr_storage from[MAX_SLOTS];
} inst_t;

static napi_value fail(napi_env env, int range, const char *msg) {
  if (range) napi_throw_range_error(env, "ERR_MEDIA_UDP_RANGE", msg);
  else napi_throw_type_error(env, "ERR_MEDIA_UDP_ARG", msg);
  return NULL;
}

/* A thrown Error carrying the errno name as .code (EADDRINUSE, ...), like node:dgram's. */
static napi_value fail_errno(napi_env env, int err, const char *what) {
  char msg[160];
  const char *name = uv_err_name(uv_translate_sys_error(err));
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, text, error;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_throw(env, error);
  return NULL;
}

static int get_int(napi_env env, napi_value v, int64_t min, int64_t max, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  if (!(d >= (double)min && d <= (double)max) || d != (double)(int64_t)d) return 0;
  *out = (int64_t)d;
  return 1;
}

static int get_u8(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, len, &p, &ab, &offset) != napi_ok || type != napi_uint8_array) return 0;
  *data = p;
  return 1;
}

static inst_t *instance(napi_env env) {
  inst_t *in = NULL;
  napi_get_instance_data(env, (void **)&in);
  return in;
}

/* id = generation << 16 | index; a stale id (closed socket) resolves to NULL */
static sock_t *lookup(inst_t *in, int64_t id) {
  uint32_t index = (uint32_t)id & (MAX_SOCKETS - 1);
  uint32_t gen = (uint32_t)(id >> ID_BITS);
  if (index >= in->next_index) return NULL;
  sock_t *s = in->table[index];
  return s != NULL && s->fd >= 0 && s->gen == gen ? s : NULL;
}

static void update_ref(inst_t *in) {
  if (in->poll == NULL) return;
  if (in->open_count > 0) uv_ref((uv_handle_t *)in->poll);
  else uv_unref((uv_handle_t *)in->poll);
}

static int ensure_epoll(napi_env env, inst_t *in) {
  if (in->epfd >= 0) return 1;
  in->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (in->epfd < 0) return 0;
  return 1;
}

static void drop_pending(sock_t *s) {
  while (s->head != NULL) {
    pending_t *p = s->head;
    s->head = p->next;
    free(p);
  }
  s->tail = NULL;
  s->pending = 0;
}

static void watch(inst_t *in, uint32_t index, sock_t *s, int writable) {
  struct epoll_event ev = {.events = EPOLLIN | (writable ? EPOLLOUT : 0), .data = {.u32 = index}};
  epoll_ctl(in->epfd, EPOLL_CTL_MOD, s->fd, &ev);
}

/* The socket is writable: send what waited, in order, until the kernel pushes back again. */
static void flush(inst_t *in, uint32_t index, sock_t *s) {
  while (s->head != NULL) {
    pending_t *p = s->head;
    ssize_t r;
    do {
      r = sendto(s->fd, p->data, p->len, MSG_DONTWAIT, (struct sockaddr *)&p->to, p->to_len);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) return; /* still full: wait for EPOLLOUT */
    if (r < 0) in->queue_failed_total++;
    s->head = p->next;
    if (s->head == NULL) s->tail = NULL;
    s->pending--;
    free(p);
  }
  watch(in, index, s, 0);
}

/* open(family: 4|6, address: string, port: number) -> id; throws Error{code} on bind failure */
static napi_value js_open(napi_env env, napi_callback_info info) {
  inst_t *in = instance(env);
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t family, port;
  char address[INET6_ADDRSTRLEN];
  size_t alen = 0;
  if (argc < 3 || !get_int(env, argv[0], 4, 6, &family) || (family != 4 && family != 6)) return fail(env, 0, "family must be 4 or 6");
  if (napi_get_value_string_latin1(env, argv[1], address, sizeof address, &alen) != napi_ok || alen + 1 >= sizeof address) return fail(env, 0, "address must be an IP literal");
  if (!get_int(env, argv[2], 0, 65535, &port)) return fail(env, 1, "port must be 0-65535");
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof ss);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &a->sin_addr) != 1) return fail(env, 0, "address is not an IPv4 literal");
    sl = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, address, &a->sin6_addr) != 1) return fail(env, 0, "address is not an IPv6 literal");
    sl = sizeof *a;
  }
  if (!ensure_epoll(env, in)) return fail_errno(env, errno, "epoll_create1");
  if (in->free_count == 0 && in->next_index >= MAX_SOCKETS) return fail_errno(env, EMFILE, "media sockets");
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail_errno(env, errno, "socket");
  if (family == 6) {
    int off = 0; /* dual stack, as node:dgram's udp6 */
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
    int e = errno;
    close(fd);
    return fail_errno(env, e, "bind");
  }
  uint32_t index;
  if (in->free_count > 0 && (in->next_index >= MAX_SOCKETS || in->free_count > 64)) {
    index = in->free_list[in->free_head];
    in->free_head = (in->free_head + 1) % MAX_SOCKETS;
    in->free_count--;
  } else {
    index = in->next_index;
    if (index >= in->capacity) {
      uint32_t cap = in->capacity == 0 ? 256 : in->capacity * 2;
      sock_t **t = realloc(in->table, cap * sizeof *t);
      if (t == NULL) {
        close(fd);
        return fail_errno(env, ENOMEM, "media sockets");
      }
      memset(t + in->capacity, 0, (cap - in->capacity) * sizeof *t);
      in->table = t;
      in->capacity = cap;
    }
    in->table[index] = calloc(1, sizeof(sock_t));
    if (in->table[index] == NULL) {
      close(fd);
      return fail_errno(env, ENOMEM, "media sockets");
    }
    in->next_index++;
  }
  sock_t *s = in->table[index];
  s->gen = (s->gen + 1) & 0x7fff;
  s->fd = fd;
  s->family = (int)family;
  s->dest_text[0] = 0;
  s->head = s->tail = NULL;
  s->pending = 0;
  struct epoll_event ev = {.events = EPOLLIN, .data = {.u32 = index}};
  if (epoll_ctl(in->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int e = errno;
    close(fd);
    s->fd = -1;
    in->free_list[in->free_tail] = index;
    in->free_tail = (in->free_tail + 1) % MAX_SOCKETS;
    in->free_count++;
    return fail_errno(env, e, "epoll_ctl");
  }
  in->open_count++;
  update_ref(in);
  napi_value out;
  napi_create_int64(env, ((int64_t)s->gen << ID_BITS) | index, &out);
  return out;
}

static sock_t *arg_sock(napi_env env, inst_t *in, napi_value v) {
  int64_t id;
  if (!get_int(env, v, 0, INT32_MAX, &id)) {
    fail(env, 0, "socket id must be an integer");
    return NULL;
  }
  sock_t *s = lookup(in, id);
  if (s == NULL) fail(env, 0, "socket is closed");
  return s;
}

/* localPort(id) -> the bound port (the kernel's choice when opened with port 0) */
static napi_value js_local_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return fail(env, 0, "socket id required");
  sock_t *s = arg_sock(env, instance(env), argv[0]);
  if (s == NULL) return NULL;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(s->fd, (struct sockaddr *)&ss, &sl) != 0) return fail_errno(env, errno, "getsockname");
  int port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port) : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  napi_value out;
  napi_create_int32(env, port, &out);
  return out;
}

/* close(id) -> true if it was open; datagrams of it still in the current batch stay there (the caller skips them) */
static napi_value js_close(napi_env env, napi_callback_info info) {
  inst_t *in = instance(env);
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t id;
  bool was_open = false;
  if (argc < 1 || !get_int(env, argv[0], 0, INT32_MAX, &id)) return fail(env, 0, "socket id must be an integer");
  sock_t *s = lookup(in, id);
  if (s != NULL) {
    epoll_ctl(in->epfd, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
    s->fd = -1;
    drop_pending(s);
    uint32_t index = (uint32_t)id & (MAX_SOCKETS - 1);
    in->free_list[in->free_tail] = index;
    in->free_tail = (in->free_tail + 1) % MAX_SOCKETS;
    in->free_count++;
    in->open_count--;
    update_ref(in);
    was_open = true;
  }
  napi_value out;
  napi_get_boolean(env, was_open, &out);
  return out;
}

static int parse_dest(sock_t *s, const char *text, int port) {
  memset(&s->dest, 0, sizeof s->dest);
  if (s->family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)&s->dest;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, text, &a->sin_addr) != 1) return 0;
    s->dest_len = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s->dest;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, text, &a->sin6_addr) != 1) {
      /* an IPv4 destination from a dual-stack socket: its v4-mapped form */
      struct in_addr v4;
      if (inet_pton(AF_INET, text, &v4) != 1) return 0;
      a->sin6_addr.s6_addr[10] = 0xff;
      a->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
    }
    s->dest_len = sizeof *a;
  }
  strcpy(s->dest_text, text);
  s->dest_port = port;
  return 1;
}

/*
 * send(id, bytes, offset, length, port, address) -> 0 when the kernel took the datagram or it
 * was queued, else the errno. When the socket's send buffer is full (EAGAIN: a video key frame
 * burst on a slow link) the datagram is copied and queued, in order, and sent when the socket
 * is writable again, as libuv does for node:dgram; the caller's buffer is free either way. A
 * queue past MAX_PENDING refuses with ENOBUFS. Throws only on a bad argument or a closed socket.
 */
static napi_value js_send(napi_env env, napi_callback_info info) {
  inst_t *in = instance(env);
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 6) return fail(env, 0, "send(id, bytes, offset, length, port, address)");
  int64_t id;
  if (!get_int(env, argv[0], 0, INT32_MAX, &id)) return fail(env, 0, "socket id must be an integer");
  sock_t *s = lookup(in, id);
  if (s == NULL) return fail(env, 0, "socket is closed");
  uint32_t index = (uint32_t)id & (MAX_SOCKETS - 1);
  unsigned char *data;
  size_t len;
  int64_t off, n, port;
  if (!get_u8(env, argv[1], &data, &len)) return fail(env, 0, "bytes must be a Uint8Array");
  if (!get_int(env, argv[2], 0, INT32_MAX, &off) || !get_int(env, argv[3], 0, 65507, &n) || (size_t)(off + n) > len) {
    return fail(env, 1, "offset/length outside bytes");
  }
  if (!get_int(env, argv[4], 1, 65535, &port)) return fail(env, 1, "port must be 1-65535");
  char text[INET6_ADDRSTRLEN];
  size_t tlen = 0;
  if (napi_get_value_string_latin1(env, argv[5], text, sizeof text, &tlen) != napi_ok || tlen + 1 >= sizeof text) {
    return fail(env, 0, "address must be an IP literal");
  }
  if (port != s->dest_port || strcmp(text, s->dest_text) != 0) {
    if (!parse_dest(s, text, (int)port)) {
      s->dest_text[0] = 0;
      return fail(env, 0, "address must be an IP literal of the socket's family");
    }
  }
  int err = 0;
  if (s->head == NULL) {
    ssize_t r;
    do {
      r = sendto(s->fd, data + off, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&s->dest, s->dest_len);
    } while (r < 0 && errno == EINTR);
    err = r < 0 ? errno : 0;
  } else {
    err = EAGAIN; /* datagrams are waiting: this one goes behind them */
  }
  if (err == EAGAIN || err == EWOULDBLOCK) {
    pending_t *p = s->pending < MAX_PENDING ? malloc(sizeof(pending_t) + (size_t)n) : NULL;
    if (p == NULL) {
      err = ENOBUFS;
    } else {
      p->next = NULL;
      p->len = (size_t)n;
      memcpy(&p->to, &s->dest, sizeof p->to);
      p->to_len = s->dest_len;
      memcpy(p->data, data + off, (size_t)n);
      if (s->tail == NULL) {
        s->head = s->tail = p;
        watch(in, index, s, 1);
      } else {
        s->tail->next = p;
        s->tail = p;
      }
      s->pending++;
      in->queued_total++;
      err = 0;
    }
  }
  napi_value out;
  napi_create_int32(env, err, &out);
  return out;
}

static void put_addr(int32_t *m, const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    m[3] = ntohs(a->sin_port);
    m[4] = 4;
    m[5] = (int32_t)ntohl(a->sin_addr.s_addr);
    m[6] = m[7] = m[8] = 0;
  } else {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    m[3] = ntohs(a->sin6_port);
    m[4] = 6;
    for (int w = 0; w < 4; w++) {
      uint32_t v;
      memcpy(&v, &a->sin6_addr.s6_addr[4 * w], 4);
      m[5 + w] = (int32_t)ntohl(v);
    }
  }
  m[9] = 0;
}

/* Reads ready sockets into the slots; returns how many datagrams were read. */
static uint32_t fill(inst_t *in) {
  struct epoll_event ev[MAX_EVENTS];
  uint32_t count = 0;
  int ne;
  do {
    ne = epoll_wait(in->epfd, ev, MAX_EVENTS, 0);
  } while (ne < 0 && errno == EINTR);
  for (int e = 0; e < ne && count < in->slots; e++) {
    uint32_t index = ev[e].data.u32;
    sock_t *s = index < in->next_index ? in->table[index] : NULL;
    if (s == NULL || s->fd < 0) continue;
    if (ev[e].events & EPOLLOUT) flush(in, index, s);
    if (!(ev[e].events & (EPOLLIN | EPOLLERR))) continue;
    int64_t id = ((int64_t)s->gen << ID_BITS) | index;
    /* small recvmmsg calls: a media socket mostly holds one or two datagrams, and each call
       resets only the headers it offers; a busy socket gets up to PER_SOCKET, then the others */
    uint32_t taken = 0;
    for (int errors = 0; count < in->slots && taken < PER_SOCKET && errors < 4;) {
      uint32_t want = in->slots - count;
      if (want > CHUNK) want = CHUNK;
      for (uint32_t i = count; i < count + want; i++) in->msgs[i].msg_hdr.msg_namelen = sizeof in->from[i];
      int r = recvmmsg(s->fd, &in->msgs[count], want, MSG_DONTWAIT, NULL);
      if (r < 0) {
        /* EAGAIN: drained. Other errors (a queued ICMP error) are consumed by the read: retry */
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        errors++;
        continue;
      }
      for (int i = 0; i < r; i++) {
        int32_t *m = in->meta + (size_t)(count + i) * META_STRIDE;
        m[0] = (int32_t)id;
        m[1] = (int32_t)((count + i) * in->slot_size);
        m[2] = (in->msgs[count + i].msg_hdr.msg_flags & MSG_TRUNC) ? -1 : (int32_t)in->msgs[count + i].msg_len;
        put_addr(m, &in->from[count + i]);
      }
      count += (uint32_t)r;
      taken += (uint32_t)r;
      if ((uint32_t)r < want) break; /* the socket is drained */
    }
  }
  return count;
}

static void deliver(inst_t *in, uint32_t count) {
  napi_env env = in->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, resource, arg, result;
  napi_get_reference_value(env, in->fn_ref, &fn);
  napi_get_reference_value(env, in->resource_ref, &resource);
  napi_create_uint32(env, count, &arg);
  /* make_callback: runs the tick and microtask queues afterwards, once per batch */
  if (napi_make_callback(env, in->async, resource, fn, 1, &arg, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err); /* process 'uncaughtException', as an exception in a dgram handler */
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  inst_t *in = handle->data;
  for (int b = 0; b < MAX_BATCHES; b++) {
    uint32_t n = fill(in);
    if (n == 0) return;
    deliver(in, n);
    if (n < in->slots) return;
  }
}

/* start(rx: Uint8Array, slotSize, meta: Int32Array, onBatch(count)) -> void, once per thread */
static napi_value js_start(napi_env env, napi_callback_info info) {
  inst_t *in = instance(env);
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (in->started) return fail(env, 0, "already started");
  unsigned char *rx;
  size_t rx_len;
  int64_t slot_size;
  if (argc < 4 || !get_u8(env, argv[0], &rx, &rx_len)) return fail(env, 0, "rx must be a Uint8Array");
  if (!get_int(env, argv[1], 1500, 65536, &slot_size)) return fail(env, 1, "slot size must be 1500-65536");
  bool is_ta = false;
  napi_typedarray_type type;
  size_t meta_len;
  void *meta;
  napi_value ab;
  size_t offset;
  if (napi_is_typedarray(env, argv[2], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[2], &type, &meta_len, &meta, &ab, &offset) != napi_ok || type != napi_int32_array) {
    return fail(env, 0, "meta must be an Int32Array");
  }
  napi_valuetype t;
  napi_typeof(env, argv[3], &t);
  if (t != napi_function) return fail(env, 0, "onBatch must be a function");
  uint64_t slots = rx_len / (uint64_t)slot_size;
  if (meta_len / META_STRIDE < slots) slots = meta_len / META_STRIDE;
  if (slots > MAX_SLOTS) slots = MAX_SLOTS;
  if (slots == 0) return fail(env, 1, "rx/meta hold no slot");
  if (!ensure_epoll(env, in)) return fail_errno(env, errno, "epoll_create1");
  in->rx = rx;
  in->rx_len = rx_len;
  in->meta = meta;
  in->meta_len = meta_len;
  in->slots = (uint32_t)slots;
  in->slot_size = (uint32_t)slot_size;
  /* each slot's header points at its own buffer and source address for good */
  for (uint32_t i = 0; i < in->slots; i++) {
    in->iov[i].iov_base = in->rx + (size_t)i * in->slot_size;
    in->iov[i].iov_len = in->slot_size;
    memset(&in->msgs[i].msg_hdr, 0, sizeof in->msgs[i].msg_hdr);
    in->msgs[i].msg_hdr.msg_iov = &in->iov[i];
    in->msgs[i].msg_hdr.msg_iovlen = 1;
    in->msgs[i].msg_hdr.msg_name = &in->from[i];
  }
  napi_create_reference(env, argv[0], 1, &in->rx_ref);
  napi_create_reference(env, argv[2], 1, &in->meta_ref);
  napi_create_reference(env, argv[3], 1, &in->fn_ref);
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &in->resource_ref);
  napi_create_string_utf8(env, "GATEHOUSE_MEDIA_UDP", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &in->async);
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return fail(env, 0, "no event loop");
  in->poll = malloc(sizeof *in->poll);
  if (in->poll == NULL) return fail_errno(env, ENOMEM, "uv_poll");
  int r = uv_poll_init(loop, in->poll, in->epfd);
  if (r == 0) r = uv_poll_start(in->poll, UV_READABLE, on_readable);
  if (r != 0) {
    free(in->poll);
    in->poll = NULL;
    return fail_errno(env, -r, "uv_poll");
  }
  in->poll->data = in;
  in->started = 1;
  update_ref(in);
  return NULL;
}

/* ntop(family, a0, a1, a2, a3) -> the address text of a meta record (called when a source changes) */
static napi_value js_ntop(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t family, w[4] = {0, 0, 0, 0};
  if (argc < 5 || !get_int(env, argv[0], 4, 6, &family) || (family != 4 && family != 6)) return fail(env, 0, "family must be 4 or 6");
  for (int i = 0; i < 4; i++) {
    if (!get_int(env, argv[1 + i], INT32_MIN, UINT32_MAX, &w[i])) return fail(env, 0, "address words must be 32-bit integers");
  }
  char text[INET6_ADDRSTRLEN];
  if (family == 4) {
    uint32_t v = htonl((uint32_t)w[0]);
    inet_ntop(AF_INET, &v, text, sizeof text);
  } else {
    unsigned char b[16];
    for (int i = 0; i < 4; i++) {
      uint32_t v = htonl((uint32_t)w[i]);
      memcpy(b + 4 * i, &v, 4);
    }
    inet_ntop(AF_INET6, b, text, sizeof text);
  }
  napi_value out;
  napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &out);
  return out;
}

/* stats() -> [datagrams queued on EAGAIN, queued datagrams the kernel then refused] since start */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  inst_t *in = instance(env);
  napi_value out, a, b;
  napi_create_array_with_length(env, 2, &out);
  napi_create_double(env, in->queued_total, &a);
  napi_create_double(env, in->queue_failed_total, &b);
  napi_set_element(env, out, 0, a);
  napi_set_element(env, out, 1, b);
  return out;
}

static void on_poll_closed(uv_handle_t *h) {
  free(h);
}

/* Thread (worker) teardown: close every socket and stop polling. */
static void cleanup(void *arg) {
  inst_t *in = arg;
  for (uint32_t i = 0; i < in->next_index; i++) {
    sock_t *s = in->table[i];
    if (s != NULL && s->fd >= 0) close(s->fd);
    if (s != NULL) drop_pending(s);
    free(s);
  }
  free(in->table);
  free(in->free_list);
  if (in->poll != NULL) {
    uv_poll_stop(in->poll);
    uv_close((uv_handle_t *)in->poll, on_poll_closed);
  }
  if (in->epfd >= 0) close(in->epfd);
  free(in);
}

NAPI_MODULE_INIT() {
  inst_t *in = calloc(1, sizeof *in);
  if (in == NULL) return NULL;
  in->env = env;
  in->epfd = -1;
  in->free_list = calloc(MAX_SOCKETS, sizeof *in->free_list);
  if (in->free_list == NULL) {
    free(in);
    return NULL;
  }
  napi_set_instance_data(env, in, NULL, NULL);
  napi_add_env_cleanup_hook(env, cleanup, in);
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"localPort", NULL, js_local_port, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
      {"ntop", NULL, js_ntop, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
