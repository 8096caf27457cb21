/*
 * libsrtp2 oracle for the Gatehouse SRTP interop test (compiled by srtp-libsrtp.test.ts).
 *
 *   srtp-helper SUITE protect|unprotect KEYHEX [MKIHEX]
 *
 * KEYHEX is master key || master salt. One SRTP session (ssrc_any_outbound for protect,
 * ssrc_any_inbound for unprotect) processes stdin lines in order:
 *   R <hex>   an RTP/SRTP packet        C <hex>   an RTCP/SRTCP packet
 * and prints, per line, the resulting packet in hex or "ERR <srtp_err_status_t>".
 */
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PACKET 4096

static int unhex(const char *s, unsigned char *out, int max) {
    int n = 0;
    while (s[0] && s[1] && s[0] != '\n' && s[0] != '\r') {
        unsigned int b;
        if (n >= max || sscanf(s, "%2x", &b) != 1) return -1;
        out[n++] = (unsigned char)b;
        s += 2;
    }
    return n;
}

static int set_suite(const char *name, srtp_policy_t *p) {
    if (strcmp(name, "AES_CM_128_HMAC_SHA1_80") == 0) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
    } else if (strcmp(name, "AES_CM_128_HMAC_SHA1_32") == 0) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp); /* RFC 4568: SRTCP keeps 80 bits */
    } else if (strcmp(name, "AES_256_CM_HMAC_SHA1_80") == 0) {
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
    } else if (strcmp(name, "AES_256_CM_HMAC_SHA1_32") == 0) {
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p->rtp);
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
    } else if (strcmp(name, "AEAD_AES_128_GCM") == 0) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
    } else if (strcmp(name, "AEAD_AES_256_GCM") == 0) {
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
    } else {
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s SUITE protect|unprotect KEYHEX [MKIHEX]\n", argv[0]);
        return 2;
    }
    int protect = strcmp(argv[2], "protect") == 0;
    unsigned char key[64], mki[SRTP_MAX_MKI_LEN];
    int key_len = unhex(argv[3], key, sizeof key);
    int mki_len = argc > 4 ? unhex(argv[4], mki, sizeof mki) : 0;
    if (key_len <= 0 || mki_len < 0) {
        fprintf(stderr, "bad hex\n");
        return 2;
    }
    if (srtp_init() != srtp_err_status_ok) return 3;

    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    if (set_suite(argv[1], &policy) != 0) {
        fprintf(stderr, "unknown suite %s\n", argv[1]);
        return 2;
    }
    policy.ssrc.type = protect ? ssrc_any_outbound : ssrc_any_inbound;
    policy.window_size = 128;
    policy.allow_repeat_tx = 0;
    srtp_master_key_t master = { key, mki, (unsigned int)mki_len };
    srtp_master_key_t *keys[1] = { &master };
    if (mki_len > 0) {
        policy.keys = keys;
        policy.num_master_keys = 1;
    } else {
        policy.key = key;
    }
    srtp_t session;
    srtp_err_status_t st = srtp_create(&session, &policy);
    if (st != srtp_err_status_ok) {
        fprintf(stderr, "srtp_create failed: %d\n", st);
        return 3;
    }

    static char line[2 * MAX_PACKET + 16];
    static unsigned char pkt[MAX_PACKET + SRTP_MAX_TRAILER_LEN + 16];
    while (fgets(line, sizeof line, stdin) != NULL) {
        if (line[0] != 'R' && line[0] != 'C') continue;
        int rtcp = line[0] == 'C';
        int len = unhex(line + 2, pkt, MAX_PACKET);
        if (len < 0) {
            printf("ERR hex\n");
            continue;
        }
        unsigned int use_mki = mki_len > 0;
        if (protect) {
            st = rtcp ? srtp_protect_rtcp_mki(session, pkt, &len, use_mki, 0)
                      : srtp_protect_mki(session, pkt, &len, use_mki, 0);
        } else {
            st = rtcp ? srtp_unprotect_rtcp_mki(session, pkt, &len, use_mki)
                      : srtp_unprotect_mki(session, pkt, &len, use_mki);
        }
        if (st != srtp_err_status_ok) {
            printf("ERR %d\n", st);
        } else {
            for (int i = 0; i < len; i++) printf("%02x", pkt[i]);
            printf("\n");
        }
        fflush(stdout);
    }
    srtp_dealloc(session);
    srtp_shutdown();
    return 0;
}
