/*
 * media-udp sends: one sendto(2) per datagram to a destination parsed once per socket; when the
 * kernel pushes back (EAGAIN) the datagram is copied into the socket's queue, in order, and sent
 * when epoll reports the socket writable, as libuv does for node:dgram.
 */
#include "media-udp.h"

void drop_pending(sock_t *s) {
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
void flush(inst_t *in, uint32_t index, sock_t *s) {
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
napi_value js_send(napi_env env, napi_callback_info info) {
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

