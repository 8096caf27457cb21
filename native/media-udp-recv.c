/*
 * media-udp receive: the epoll set, drained with recvmmsg(2) into the batch slots, one
 * JavaScript call per batch.
 */
#include "media-udp.h"

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
napi_value js_start(napi_env env, napi_callback_info info) {
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
