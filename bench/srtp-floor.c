/* srtp-floor.c: what forwarding costs at the least, for the capacity bench
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The floor under any SFU's CPU per forwarded packet: for each source
 * packet, every copy is SRTP-protected (AES_CM_128_HMAC_SHA1_80, one
 * libsrtp2 session per copy, as per consumer; or AEAD_AES_128_GCM) and all copies go out with
 * sendmmsg to their own loopback UDP socket, at the source's rate. A
 * child process (on core 1) empties the sockets every millisecond, so
 * that no send pays for waking a reader. Prints one JSON line:
 * the sender's CPU (utime + stime) per copy sent.
 *
 * With --sources S the copies are S sources' (an all-to-all room: S
 * sources at --pps each, each packet copied to copies/S receivers in one
 * sendmmsg), and with --wait the readers are --receivers processes that
 * wait in poll() on their sockets and read what is there, as real
 * clients do, so a send pays for waking them as a server's does; the
 * sockets are then --sockets of them, one per receiver in a bundled
 * call.
 *
 *   srtp-floor --copies 500 --pps 120 --size 1100 --seconds 10
 *   srtp-floor --copies 56 --sources 8 --sockets 8 --receivers 8 --wait ...
 */

#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <srtp2/srtp.h>

#include "ms-srtp-crypto.h"

#define BATCH 32
#define SLOT 1500

static double
now_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
cpu_s (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
         ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The receivers empty every socket each millisecond, sleeping in
 * between, not in poll: no send has to wake a reader, and the socket
 * locks are not fought over. What the floor counts is the sender's own
 * work (SRTP, the syscall, loopback delivery into a queue). */
static void
drain (int *fds,
       int  n)
{
  char buf[SLOT];

  for (;;) {
    struct timespec ms = { 0, 1000000 };

    for (int i = 0; i < n; i++) {
      while (recv (fds[i], buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
    }
    nanosleep (&ms, NULL);
  }
}

/* A waiting receiver: poll() on its sockets, read what is there. */
static void
wait_and_read (int *fds,
               int  n)
{
  char buf[SLOT];
  struct pollfd *p = calloc (n, sizeof *p);

  for (int i = 0; i < n; i++) {
    p[i].fd = fds[i];
    p[i].events = POLLIN;
  }
  for (;;) {
    if (poll (p, n, -1) <= 0)
      continue;
    for (int i = 0; i < n; i++) {
      if (p[i].revents & POLLIN) {
        while (recv (p[i].fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
          ;
      }
    }
  }
}

int
main (int   argc,
      char *argv[])
{
  int copies = 100, pps = 120, size = 1100;
  int sources = 1, n_sockets = 0, receivers = 1, wait = 0, per_source;
  int gcm = 0;
  pid_t *children;
  double seconds = 10, warmup = 1;
  int *rx, tx;
  struct sockaddr_in *dst;
  srtp_t *sessions;
  unsigned char key[30 + 12];
  unsigned char *slots;
  struct mmsghdr msgs[BATCH];
  struct iovec iovs[BATCH];
  double start, next, c0 = 0, t0 = 0;
  long sent = 0, counted = 0, errors = 0;
  unsigned short seq = 1;
  unsigned int ts = 0;

  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp (argv[i], "--copies") == 0)
      copies = atoi (argv[i + 1]);
    else if (strcmp (argv[i], "--pps") == 0)
      pps = atoi (argv[i + 1]);
    else if (strcmp (argv[i], "--size") == 0)
      size = atoi (argv[i + 1]);
    else if (strcmp (argv[i], "--seconds") == 0)
      seconds = atof (argv[i + 1]);
    else if (strcmp (argv[i], "--profile") == 0)
      gcm = strcmp (argv[i + 1], "gcm") == 0;
    else if (strcmp (argv[i], "--sources") == 0)
      sources = atoi (argv[i + 1]);
    else if (strcmp (argv[i], "--sockets") == 0)
      n_sockets = atoi (argv[i + 1]);
    else if (strcmp (argv[i], "--receivers") == 0)
      receivers = atoi (argv[i + 1]);
    else if (strcmp (argv[i], "--wait") == 0)
      wait = atoi (argv[i + 1]);
    else {
      fprintf (stderr, "usage: srtp-floor [--copies N] [--pps N] [--size BYTES] "
               "[--seconds S] [--profile cm|gcm] [--sources S] [--sockets N] "
               "[--receivers N] [--wait 0|1]\n");
      return 2;
    }
  }
  if (n_sockets == 0)
    n_sockets = copies;
  if (copies < 1 || pps < 1 || size < 12 || size + SRTP_MAX_TRAILER_LEN > SLOT || seconds <= 0 ||
      sources < 1 || copies % sources != 0 || n_sockets < 1 || n_sockets > copies ||
      receivers < 1 || receivers > n_sockets)
    return 2;
  per_source = copies / sources;

  rx = calloc (n_sockets, sizeof *rx);
  dst = calloc (n_sockets, sizeof *dst);
  for (int i = 0; i < n_sockets; i++) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t len = sizeof a;

    rx[i] = socket (AF_INET, SOCK_DGRAM, 0);
    if (rx[i] < 0 || bind (rx[i], (struct sockaddr *) &a, sizeof a) < 0 ||
        getsockname (rx[i], (struct sockaddr *) &dst[i], &len) < 0) {
      perror ("socket");
      return 1;
    }
  }
  /* The receivers: on the other core when the caller pinned us to one.
   * Draining, one process; waiting, receiver r has sockets r, r + R, ... */
  if (!wait)
    receivers = 1;
  children = calloc (receivers, sizeof *children);
  for (int r = 0; r < receivers; r++) {
    children[r] = fork ();
    if (children[r] == 0) {
      cpu_set_t set;
      int *mine = calloc (n_sockets, sizeof *mine), n = 0;

      CPU_ZERO (&set);
      CPU_SET (1, &set);
      sched_setaffinity (0, sizeof set, &set);
      for (int i = r; i < n_sockets; i += receivers)
        mine[n++] = rx[i];
      if (wait)
        wait_and_read (mine, n);
      drain (mine, n);
    }
  }
  tx = socket (AF_INET, SOCK_DGRAM, 0);

  /* The same libsrtp2 crypto as the server's (OpenSSL's, ms-srtp-crypto.c). */
  ms_srtp_crypto_init ();
  for (unsigned i = 0; i < sizeof key; i++)
    key[i] = (unsigned char) (i * 7 + 3);
  sessions = calloc (copies, sizeof *sessions);
  for (int i = 0; i < copies; i++) {
    srtp_policy_t policy;

    memset (&policy, 0, sizeof policy);
    if (gcm) {
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
    } else {
      srtp_crypto_policy_set_rtp_default (&policy.rtp);
      srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
    }
    policy.ssrc.type = ssrc_any_outbound;
    policy.key = key;
    policy.window_size = 1024;
    policy.allow_repeat_tx = 1;
    if (srtp_create (&sessions[i], &policy) != srtp_err_status_ok)
      return 1;
  }
  slots = malloc ((size_t) BATCH * SLOT);

  start = now_s ();
  next = start;
  while (now_s () - start < warmup + seconds) {
    int queued = 0, source;
    double t;

    if (t0 == 0 && now_s () - start >= warmup) {
      t0 = now_s ();
      c0 = cpu_s ();
      counted = sent;
    }
    /* One source packet, copied to everyone, as a forwarder does; of S
     * sources, the next one's, copied to its receivers. */
    source = (int) (sent / per_source) % sources;

    for (int c = 0; c < per_source; c++) {
      int i = source * per_source + c;
      int to = i % n_sockets;
      unsigned char *p = slots + (size_t) queued * SLOT;
      int len = size;

      memset (p, 0xa5, size);
      p[0] = 0x80;
      p[1] = 96;
      p[2] = seq >> 8;
      p[3] = seq & 0xff;
      p[4] = ts >> 24;
      p[5] = ts >> 16;
      p[6] = ts >> 8;
      p[7] = ts;
      p[8] = i >> 24;
      p[9] = i >> 16;
      p[10] = i >> 8;
      p[11] = i;
      if (srtp_protect (sessions[i], p, &len) != srtp_err_status_ok)
        return 1;
      iovs[queued].iov_base = p;
      iovs[queued].iov_len = len;
      memset (&msgs[queued], 0, sizeof msgs[queued]);
      msgs[queued].msg_hdr.msg_name = &dst[to];
      msgs[queued].msg_hdr.msg_namelen = sizeof dst[to];
      msgs[queued].msg_hdr.msg_iov = &iovs[queued];
      msgs[queued].msg_hdr.msg_iovlen = 1;
      if (++queued == BATCH || c == per_source - 1) {
        int done = 0;

        while (done < queued) {
          int r = sendmmsg (tx, msgs + done, queued - done, 0);

          if (r <= 0) {
            errors++;
            done++;
          } else {
            done += r;
          }
        }
        sent += queued;
        queued = 0;
      }
    }
    if (source == sources - 1) {
      seq++;
      ts += 3000;
    }
    next += 1.0 / pps / sources;
    t = next - now_s ();
    if (t > 0) {
      struct timespec d = { (time_t) t, (long) ((t - (time_t) t) * 1e9) };

      nanosleep (&d, NULL);
    }
  }
  {
    double cpu = cpu_s () - c0, wall = now_s () - t0;
    long n = sent - counted;

    printf ("{\"profile\": \"%s\", \"copies\": %d, \"pps\": %d, \"size\": %d, \"window_s\": %.2f, "
            "\"packets\": %ld, \"packets_per_s\": %.1f, \"cpu\": %.4f, "
            "\"us_per_packet\": %.3f, \"send_errors\": %ld, \"sources\": %d, "
            "\"sockets\": %d, \"receivers\": %d, \"receivers_wait\": %s}\n",
            gcm ? "aead-aes-128-gcm" : "aes128-cm-sha1-80", copies, pps, size, wall, n, n / wall,
            cpu / wall, n ? cpu * 1e6 / n : 0.0, errors, sources, n_sockets, receivers,
            wait ? "true" : "false");
  }
  for (int r = 0; r < receivers; r++) {
    kill (children[r], SIGKILL);
    waitpid (children[r], NULL, 0);
  }
  return 0;
}
