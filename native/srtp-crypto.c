/*
 * srtp-crypto: the three SRTP primitives with OpenSSL contexts kept per session key.
 *
 * Why native: node:crypto cannot re-IV a cipher or re-use a keyed HMAC, so every packet
 * builds a cipher object, runs the AES key schedule (and for GCM the GHASH key) again and
 * allocates result Buffers: ~9 us per protect+unprotect pair. Keeping one keyed EVP context
 * per session key and only resetting its IV costs ~0.3 us (docs/srtp-performance.md).
 *
 * Only primitives live here: AES-CTR keystream XOR (RFC 3711 s4.1.1), HMAC-SHA1 tags
 * (RFC 3711 s4.2.1) and AES-GCM seal/open (RFC 7714 s7). Packet layout, IVs, indices, ROC and
 * replay all stay in the TypeScript core (src/core/srtp), which computes the IV and hands it in.
 *
 * OpenSSL comes from the Node binary itself (Node exports its libcrypto symbols for addons):
 * no second copy of OpenSSL, same FIPS/provider configuration as node:crypto.
 *
 * Every offset/length from JavaScript is checked against the typed array it indexes before
 * any byte is touched; a bad call throws RangeError/TypeError, never reads or writes out of
 * bounds. Contexts are freed (and cleansed by OpenSSL) when the JS handle is collected.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PACKET 65536
#define GCM_TAG 16
#define SHA1_LEN 20

/* open() decrypts here first, so nothing reaches the caller's buffer before the tag verified */
static _Thread_local unsigned char scratch[MAX_PACKET];

enum kind { KIND_CTR = 1, KIND_GCM = 2, KIND_HMAC = 3 };

typedef struct {
  int kind;
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
  EVP_MAC_CTX *mac;
} handle_t;

typedef struct {
  unsigned char *data;
  size_t length;
} bytes_t;

static napi_value fail(napi_env env, int range, const char *msg) {
  if (range) napi_throw_range_error(env, "ERR_SRTP_NATIVE_RANGE", msg);
  else napi_throw_type_error(env, "ERR_SRTP_NATIVE_ARG", msg);
  return NULL;
}

static int get_bytes(napi_env env, napi_value v, bytes_t *out) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  out->data = data;
  out->length = length;
  return 1;
}

/* An integer in [min, max]: offsets and lengths are 0..2^31-1; a ROC is -1 ("none") or 32-bit. */
#define INT_MAX31 2147483647LL
static int get_int(napi_env env, napi_value v, int64_t min, int64_t max, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  if (!(d >= (double)min && d <= (double)max) || d != (double)(int64_t)d) return 0;
  *out = (int64_t)d;
  return 1;
}

static int in_bounds(const bytes_t *b, int64_t off, int64_t len) {
  return off >= 0 && len >= 0 && (uint64_t)off + (uint64_t)len <= b->length;
}

static handle_t *get_handle(napi_env env, napi_value v, int kind) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) return NULL;
  handle_t *h = p;
  return h->kind == kind ? h : NULL;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  handle_t *h = data;
  EVP_CIPHER_CTX_free(h->enc); /* frees and cleanses the key schedule */
  EVP_CIPHER_CTX_free(h->dec);
  EVP_MAC_CTX_free(h->mac);
  free(h);
}

static napi_value wrap(napi_env env, handle_t *h) {
  napi_value ext;
  if (napi_create_external(env, h, finalize, NULL, &ext) != napi_ok) {
    finalize(env, h, NULL);
    return fail(env, 0, "cannot create the key handle");
  }
  return ext;
}

/* Ranges [a, a+n) and [b, b+n) overlap without being the same range: in-place is fine for
 * EVP, a shifted overlap is not, so such a source is first moved to its destination. */
static int shifted_overlap(const unsigned char *a, const unsigned char *b, size_t n) {
  return a != b && a < b + n && b < a + n;
}

/* ---- key handles ------------------------------------------------------------------------ */

static napi_value new_cipher(napi_env env, napi_callback_info info, int kind) {
  size_t argc = 1;
  napi_value argv[1];
  bytes_t key;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_bytes(env, argv[0], &key)) return fail(env, 0, "key must be a Uint8Array");
  const EVP_CIPHER *cipher = NULL;
  if (kind == KIND_CTR) cipher = key.length == 16 ? EVP_aes_128_ctr() : key.length == 32 ? EVP_aes_256_ctr() : NULL;
  else cipher = key.length == 16 ? EVP_aes_128_gcm() : key.length == 32 ? EVP_aes_256_gcm() : NULL;
  if (cipher == NULL) return fail(env, 1, "AES key must be 16 or 32 octets");
  handle_t *h = calloc(1, sizeof *h);
  if (h == NULL) return fail(env, 0, "out of memory");
  h->kind = kind;
  h->enc = EVP_CIPHER_CTX_new();
  h->dec = kind == KIND_GCM ? EVP_CIPHER_CTX_new() : NULL;
  int ok = h->enc != NULL && EVP_EncryptInit_ex(h->enc, cipher, NULL, key.data, NULL) == 1;
  if (kind == KIND_GCM) {
    ok = ok && h->dec != NULL && EVP_DecryptInit_ex(h->dec, cipher, NULL, key.data, NULL) == 1;
    /* RFC 7714 s8.1: 12-octet IV, OpenSSL's default for GCM; set anyway so it cannot drift */
    ok = ok && EVP_CIPHER_CTX_ctrl(h->enc, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(h->dec, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1;
  }
  if (!ok) {
    finalize(env, h, NULL);
    return fail(env, 0, "OpenSSL refused the cipher key");
  }
  return wrap(env, h);
}

static napi_value ctr_new(napi_env env, napi_callback_info info) { return new_cipher(env, info, KIND_CTR); }
static napi_value gcm_new(napi_env env, napi_callback_info info) { return new_cipher(env, info, KIND_GCM); }

static napi_value hmac_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bytes_t key;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_bytes(env, argv[0], &key)) return fail(env, 0, "key must be a Uint8Array");
  if (key.length == 0 || key.length > 64) return fail(env, 1, "HMAC-SHA1 key must be 1..64 octets");
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (mac == NULL) return fail(env, 0, "OpenSSL has no HMAC");
  handle_t *h = calloc(1, sizeof *h);
  if (h == NULL) {
    EVP_MAC_free(mac);
    return fail(env, 0, "out of memory");
  }
  h->kind = KIND_HMAC;
  h->mac = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac); /* the context holds its own reference */
  char digest[] = "SHA1";
  OSSL_PARAM params[2] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (h->mac == NULL || EVP_MAC_init(h->mac, key.data, key.length, params) != 1) {
    finalize(env, h, NULL);
    return fail(env, 0, "OpenSSL refused the HMAC key");
  }
  return wrap(env, h);
}

/* ---- AES-CTR ------------------------------------------------------------------------------ */

/* ctrXor(h, iv16, src, srcOff, dst, dstOff, len): dst = src XOR AES-CTR keystream from iv. */
static napi_value ctr_xor(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value a[7];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 7) return fail(env, 0, "ctrXor needs 7 arguments");
  handle_t *h = get_handle(env, a[0], KIND_CTR);
  bytes_t iv, src, dst;
  int64_t so, dof, len;
  if (h == NULL) return fail(env, 0, "not an AES-CTR key handle");
  if (!get_bytes(env, a[1], &iv) || !get_bytes(env, a[2], &src) || !get_bytes(env, a[4], &dst)) return fail(env, 0, "iv, src and dst must be Uint8Arrays");
  if (!get_int(env, a[3], 0, INT_MAX31, &so) || !get_int(env, a[5], 0, INT_MAX31, &dof) || !get_int(env, a[6], 0, INT_MAX31, &len)) return fail(env, 1, "offsets and length must be integers in 0..2^31-1");
  if (iv.length != 16) return fail(env, 1, "AES-CTR IV must be 16 octets");
  if (!in_bounds(&src, so, len) || !in_bounds(&dst, dof, len)) return fail(env, 1, "range outside the buffer");
  unsigned char *in = src.data + so, *out = dst.data + dof;
  if (shifted_overlap(in, out, (size_t)len)) {
    memmove(out, in, (size_t)len);
    in = out;
  }
  int n = 0;
  if (EVP_EncryptInit_ex(h->enc, NULL, NULL, NULL, iv.data) != 1 || (len > 0 && EVP_EncryptUpdate(h->enc, out, &n, in, (int)len) != 1)) {
    return fail(env, 0, "AES-CTR failed");
  }
  return NULL;
}

/* ---- HMAC-SHA1 ---------------------------------------------------------------------------- */

/* The tag over data[off..off+len) followed by the ROC (4 octets, big-endian) when roc >= 0. */
static int hmac_digest(handle_t *h, const unsigned char *data, size_t len, int64_t roc, unsigned char *digest) {
  size_t out_len = 0;
  if (EVP_MAC_init(h->mac, NULL, 0, NULL) != 1) return 0; /* same key, fresh state */
  if (len > 0 && EVP_MAC_update(h->mac, data, len) != 1) return 0;
  if (roc >= 0) {
    unsigned char r[4] = {(unsigned char)(roc >> 24), (unsigned char)(roc >> 16), (unsigned char)(roc >> 8), (unsigned char)roc};
    if (EVP_MAC_update(h->mac, r, 4) != 1) return 0;
  }
  return EVP_MAC_final(h->mac, digest, &out_len, SHA1_LEN) == 1 && out_len == SHA1_LEN;
}

/* Arguments shared by hmacTag and hmacVerify:
 * (h, data, off, len, roc, tagBuf, tagOff, tagLen); the digest is computed into `digest`. */
static int hmac_call(napi_env env, napi_callback_info info, const char *name, bytes_t *tag, int64_t *to, int64_t *tl, unsigned char *digest) {
  size_t argc = 8;
  napi_value a[8];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 8) return fail(env, 0, name), 0;
  handle_t *h = get_handle(env, a[0], KIND_HMAC);
  bytes_t data;
  int64_t off, len, roc;
  if (h == NULL) return fail(env, 0, "not an HMAC key handle"), 0;
  if (!get_bytes(env, a[1], &data) || !get_bytes(env, a[5], tag)) return fail(env, 0, "data and the tag buffer must be Uint8Arrays"), 0;
  if (!get_int(env, a[2], 0, INT_MAX31, &off) || !get_int(env, a[3], 0, INT_MAX31, &len) || !get_int(env, a[6], 0, INT_MAX31, to) || !get_int(env, a[7], 0, INT_MAX31, tl)) {
    return fail(env, 1, "offsets and lengths must be integers in 0..2^31-1"), 0;
  }
  if (!get_int(env, a[4], -1, 0xffffffffLL, &roc)) return fail(env, 1, "roc must be -1 or a 32-bit unsigned integer"), 0;
  if (!in_bounds(&data, off, len)) return fail(env, 1, "range outside the buffer"), 0;
  if (*tl < 1 || *tl > SHA1_LEN || !in_bounds(tag, *to, *tl)) return fail(env, 1, "tag range outside the buffer or tagLen not 1..20"), 0;
  if (!hmac_digest(h, data.data + off, (size_t)len, roc, digest)) return fail(env, 0, "HMAC-SHA1 failed"), 0;
  return 1;
}

/* hmacTag(h, data, off, len, roc, out, outOff, tagLen): writes the truncated tag. */
static napi_value hmac_tag(napi_env env, napi_callback_info info) {
  bytes_t out;
  int64_t oo, tl;
  unsigned char digest[SHA1_LEN];
  if (hmac_call(env, info, "hmacTag needs 8 arguments", &out, &oo, &tl, digest)) memcpy(out.data + oo, digest, (size_t)tl);
  OPENSSL_cleanse(digest, sizeof digest);
  return NULL;
}

/* hmacVerify(h, data, off, len, roc, tag, tagOff, tagLen) -> boolean, constant-time compare. */
static napi_value hmac_verify(napi_env env, napi_callback_info info) {
  bytes_t tag;
  int64_t to, tl;
  unsigned char digest[SHA1_LEN];
  if (!hmac_call(env, info, "hmacVerify needs 8 arguments", &tag, &to, &tl, digest)) {
    OPENSSL_cleanse(digest, sizeof digest);
    return NULL;
  }
  int same = CRYPTO_memcmp(digest, tag.data + to, (size_t)tl) == 0;
  OPENSSL_cleanse(digest, sizeof digest);
  napi_value r;
  napi_get_boolean(env, same, &r);
  return r;
}

/* ---- AES-GCM ------------------------------------------------------------------------------ */

static int gcm_common(napi_env env, napi_value *a, handle_t **h, bytes_t *iv, bytes_t *aad, int64_t *ao, int64_t *al, bytes_t *src, int64_t *so, int64_t *len) {
  *h = get_handle(env, a[0], KIND_GCM);
  if (*h == NULL) return fail(env, 0, "not an AES-GCM key handle"), 0;
  if (!get_bytes(env, a[1], iv) || !get_bytes(env, a[2], aad) || !get_bytes(env, a[5], src)) return fail(env, 0, "iv, aad and src must be Uint8Arrays"), 0;
  if (iv->length != 12) return fail(env, 1, "AES-GCM IV must be 12 octets"), 0;
  if (!get_int(env, a[3], 0, INT_MAX31, ao) || !get_int(env, a[4], 0, INT_MAX31, al) || !get_int(env, a[6], 0, INT_MAX31, so) || !get_int(env, a[7], 0, INT_MAX31, len)) return fail(env, 1, "offsets and lengths must be integers in 0..2^31-1"), 0;
  if (!in_bounds(aad, *ao, *al) || !in_bounds(src, *so, *len)) return fail(env, 1, "range outside the buffer"), 0;
  if (*len > MAX_PACKET) return fail(env, 1, "payload longer than 65536 octets"), 0;
  return 1;
}

/* gcmSeal(h, iv12, aad, aadOff, aadLen, src, srcOff, len, dst, dstOff): ciphertext at dst[dstOff..+len), tag after it. */
static napi_value gcm_seal(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value a[10];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 10) return fail(env, 0, "gcmSeal needs 10 arguments");
  handle_t *h;
  bytes_t iv, aad, src, dst;
  int64_t ao, al, so, len, dof;
  if (!gcm_common(env, a, &h, &iv, &aad, &ao, &al, &src, &so, &len)) return NULL;
  if (!get_bytes(env, a[8], &dst)) return fail(env, 0, "dst must be a Uint8Array");
  if (!get_int(env, a[9], 0, INT_MAX31, &dof)) return fail(env, 1, "dstOff must be an integer");
  if (!in_bounds(&dst, dof, len + GCM_TAG)) return fail(env, 1, "dst too small for ciphertext and tag");
  EVP_CIPHER_CTX *c = h->enc;
  int n = 0;
  if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv.data) != 1) return fail(env, 0, "AES-GCM failed");
  /* AAD first: it may sit in the buffer the ciphertext is about to overwrite */
  if (al > 0 && EVP_EncryptUpdate(c, NULL, &n, aad.data + ao, (int)al) != 1) return fail(env, 0, "AES-GCM failed");
  unsigned char *in = src.data + so, *out = dst.data + dof;
  if (shifted_overlap(in, out, (size_t)len)) {
    memmove(out, in, (size_t)len);
    in = out;
  }
  if (len > 0 && EVP_EncryptUpdate(c, out, &n, in, (int)len) != 1) return fail(env, 0, "AES-GCM failed");
  if (EVP_EncryptFinal_ex(c, out + len, &n) != 1) return fail(env, 0, "AES-GCM failed");
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG, out + len) != 1) return fail(env, 0, "AES-GCM tag failed");
  return NULL;
}

/* gcmOpen(h, iv12, aad, aadOff, aadLen, src, srcOff, len, tag, tagOff, dst, dstOff) -> boolean.
 * dst is written only when the tag verified (RFC 7714 s8.2: no plaintext from a forged packet). */
static napi_value gcm_open(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value a[12];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc < 12) return fail(env, 0, "gcmOpen needs 12 arguments");
  handle_t *h;
  bytes_t iv, aad, src, tag, dst;
  int64_t ao, al, so, len, to, dof;
  if (!gcm_common(env, a, &h, &iv, &aad, &ao, &al, &src, &so, &len)) return NULL;
  if (!get_bytes(env, a[8], &tag) || !get_bytes(env, a[10], &dst)) return fail(env, 0, "tag and dst must be Uint8Arrays");
  if (!get_int(env, a[9], 0, INT_MAX31, &to) || !get_int(env, a[11], 0, INT_MAX31, &dof)) return fail(env, 1, "tagOff and dstOff must be integers");
  if (!in_bounds(&tag, to, GCM_TAG) || !in_bounds(&dst, dof, len)) return fail(env, 1, "range outside the buffer");
  EVP_CIPHER_CTX *c = h->dec;
  int n = 0;
  if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv.data) != 1) return fail(env, 0, "AES-GCM failed");
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG, tag.data + to) != 1) return fail(env, 0, "AES-GCM tag failed");
  if (al > 0 && EVP_DecryptUpdate(c, NULL, &n, aad.data + ao, (int)al) != 1) return fail(env, 0, "AES-GCM failed");
  if (len > 0 && EVP_DecryptUpdate(c, scratch, &n, src.data + so, (int)len) != 1) return fail(env, 0, "AES-GCM failed");
  unsigned char none[GCM_TAG];
  int ok = EVP_DecryptFinal_ex(c, none, &n) == 1;
  if (ok) memcpy(dst.data + dof, scratch, (size_t)len);
  OPENSSL_cleanse(scratch, (size_t)len);
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

/* ---- module ------------------------------------------------------------------------------- */

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"ctrNew", NULL, ctr_new, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ctrXor", NULL, ctr_xor, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hmacNew", NULL, hmac_new, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hmacTag", NULL, hmac_tag, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hmacVerify", NULL, hmac_verify, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gcmNew", NULL, gcm_new, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gcmSeal", NULL, gcm_seal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gcmOpen", NULL, gcm_open, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value version;
  napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "openssl", version);
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
