/*
 * media-udp: shared declarations of the native media socket engine (media-udp.c: the module,
 * socket table, open/close; media-udp-send.c: sends and the EAGAIN queue; media-udp-recv.c:
 * batched receive). See media-udp.c for why it exists.
 */
#ifndef GATEHOUSE_MEDIA_UDP_H
#define GATEHOUSE_MEDIA_UDP_H
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

napi_value fail(napi_env env, int range, const char *msg);
napi_value fail_errno(napi_env env, int err, const char *what);
int get_int(napi_env env, napi_value v, int64_t min, int64_t max, int64_t *out);
int get_u8(napi_env env, napi_value v, unsigned char **data, size_t *len);
inst_t *instance(napi_env env);
sock_t *lookup(inst_t *in, int64_t id);
int ensure_epoll(napi_env env, inst_t *in);
void update_ref(inst_t *in);

/* media-udp-send.c */
void drop_pending(sock_t *s);
void flush(inst_t *in, uint32_t index, sock_t *s);
napi_value js_send(napi_env env, napi_callback_info info);

/* media-udp-recv.c */
napi_value js_start(napi_env env, napi_callback_info info);

#endif
