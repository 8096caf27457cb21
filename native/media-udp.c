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
#include "media-udp.h"

napi_value fail(napi_env env, int range, const char *msg) {
  if (range) napi_throw_range_error(env, "ERR_MEDIA_UDP_RANGE", msg);
  else napi_throw_type_error(env, "ERR_MEDIA_UDP_ARG", msg);
  return NULL;
}

/* A thrown Error carrying the errno name as .code (EADDRINUSE, ...), like node:dgram's. */
napi_value fail_errno(napi_env env, int err, const char *what) {
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

int get_int(napi_env env, napi_value v, int64_t min, int64_t max, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  if (!(d >= (double)min && d <= (double)max) || d != (double)(int64_t)d) return 0;
  *out = (int64_t)d;
  return 1;
}

int get_u8(napi_env env, napi_value v, unsigned char **data, size_t *len) {
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

inst_t *instance(napi_env env) {
  inst_t *in = NULL;
  napi_get_instance_data(env, (void **)&in);
  return in;
}

/* id = generation << 16 | index; a stale id (closed socket) resolves to NULL */
sock_t *lookup(inst_t *in, int64_t id) {
  uint32_t index = (uint32_t)id & (MAX_SOCKETS - 1);
  uint32_t gen = (uint32_t)(id >> ID_BITS);
  if (index >= in->next_index) return NULL;
  sock_t *s = in->table[index];
  return s != NULL && s->fd >= 0 && s->gen == gen ? s : NULL;
}

void update_ref(inst_t *in) {
  if (in->poll == NULL) return;
  if (in->open_count > 0) uv_ref((uv_handle_t *)in->poll);
  else uv_unref((uv_handle_t *)in->poll);
}

int ensure_epoll(napi_env env, inst_t *in) {
  if (in->epfd >= 0) return 1;
  in->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (in->epfd < 0) return 0;
  return 1;
}


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
