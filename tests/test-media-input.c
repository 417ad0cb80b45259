/* test-media-input.c: bad datagrams on the server's media ports
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * While a real call flows through the real server (B receives A's
 * video), datagrams of every kind the ports may see from anyone are sent
 * to every media port: random bytes, truncated STUN, STUN binding
 * requests for an unknown user and with a wrong MESSAGE-INTEGRITY, DTLS
 * records of garbage, SRTP with bad tags, RTCP whose lengths lie and
 * datagrams too large for the server's buffers. The
 * server counts each by reason on /metrics and B's video goes on at its
 * rate. (Bad packets from a transport's own 5-tuple, and a wrong
 * password for a real ufrag, are test-engine's.)
 */

#include "config.h"

#include <string.h>

#include <stun/stunagent.h>
#include <stun/usages/ice.h>

#include "test-session-utils.h"

#define GRANTS_AV "{\"send_tracks\":[\"camera\",\"microphone\"]}"
#define ROUNDS 40

static const char *
peer_id_of (MsSession *session)
{
  return ms_store_get_peer_id (ms_session_get_store (session));
}

static void
send_to_ports (GSocket      *socket,
               GArray       *ports,
               const guint8 *data,
               gsize         len)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  for (guint i = 0; i < ports->len; i++) {
    g_autoptr (GSocketAddress) to =
      g_inet_socket_address_new (loopback, g_array_index (ports, guint16, i));

    g_socket_send_to (socket, to, (const char *) data, len, NULL, NULL);
  }
}

static gsize
stun_request (guint8     *buf,
              gsize       size,
              const char *username,
              const char *password)
{
  static const uint16_t known[] = { STUN_ATTRIBUTE_USERNAME, 0 };
  StunAgent agent;
  StunMessage msg;

  stun_agent_init (&agent, known, STUN_COMPATIBILITY_RFC5389,
                   STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
  return stun_usage_ice_conncheck_create (&agent, &msg, buf, size,
                                          (const guint8 *) username, strlen (username),
                                          (const guint8 *) password, strlen (password),
                                          TRUE, TRUE, 1, 42, NULL,
                                          STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
}

static void
send_garbage (GSocket *socket,
              GArray  *ports)
{
  guint8 buf[1500];
  gsize len;

  /* Random bytes of random sizes. */
  for (guint i = 0; i < 50; i++) {
    len = g_random_int_range (1, sizeof buf);
    for (gsize j = 0; j < len; j++)
      buf[j] = g_random_int_range (0, 256);
    send_to_ports (socket, ports, buf, len);
  }
  /* STUN: truncated (the header promises more), then well formed for an
   * unknown user, then with the integrity of another password. */
  len = stun_request (buf, sizeof buf, "nosuchufrag:peer", "passwordpasswordpassword");
  g_assert_cmpuint (len, >, 40);
  send_to_ports (socket, ports, buf, 30);
  send_to_ports (socket, ports, buf, len);
  buf[len - 30] ^= 0xff;
  send_to_ports (socket, ports, buf, len);
  /* DTLS: a handshake record whose body is garbage. */
  memset (buf, 0xab, 60);
  buf[0] = 22;
  buf[1] = 0xfe;
  buf[2] = 0xfd;
  buf[11] = 0;
  buf[12] = 47;
  send_to_ports (socket, ports, buf, 60);
  /* SRTP with a bad tag, SRTCP whose first length runs past the end. */
  memset (buf, 0x5a, 200);
  buf[0] = 0x80;
  buf[1] = 96;
  send_to_ports (socket, ports, buf, 200);
  buf[1] = 200;
  buf[2] = 0x7f;
  buf[3] = 0xff;
  send_to_ports (socket, ports, buf, 40);
  /* A datagram larger than any a WebRTC peer sends (the server reads
   * 8 KiB). */
  {
    g_autofree guint8 *big = g_malloc (9000);

    memset (big, 0x80, 9000);
    send_to_ports (socket, ports, big, 9000);
  }
}

static guint64
dropped (TestServer *server,
         const char *reason)
{
  g_autofree char *name = g_strdup_printf ("mediastore_media_dropped_total{reason=\"%s\"}",
                                           reason);

  return test_server_metric (server, name);
}

static gboolean
on_tick (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Frames B gets of A's camera in one second. */
static guint64
frames_in_a_second (MsSession  *b,
                    const char *a_id)
{
  guint64 before = test_remote_frames (b, a_id, "camera");
  gboolean done = FALSE;

  g_timeout_add_seconds (1, on_tick, &done);
  WAIT_UNTIL (done);
  return test_remote_frames (b, a_id, "camera") - before;
}

static void
test_bad_datagrams (void)
{
  g_autoptr (TestServer) server = test_server_start (NULL);
  g_autoptr (MsSession) a = test_session_join (server, "input", "a", GRANTS_AV);
  g_autoptr (MsSession) b = test_session_join (server, "input", "b", NULL);
  g_autoptr (MsLocalTrack) track = ms_local_track_new (MS_LOCAL_TRACK_TEST_VIDEO, NULL);
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                             G_SOCKET_PROTOCOL_UDP, NULL);
  GArray *ports = test_server_get_media_ports (server);
  g_autofree char *a_id = g_strdup (peer_id_of (a));
  guint64 before, during, not_stun, bad_stun, no_transport, too_long;
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (ports->len, >, 0);
  g_assert_true (ms_session_send_track (a, track, "camera", FALSE, &error));
  g_assert_no_error (error);
  WAIT_UNTIL (test_remote_frames (b, a_id, "camera") > 10);
  before = frames_in_a_second (b, a_id);

  not_stun = dropped (server, "not-stun");
  bad_stun = dropped (server, "bad-stun");
  no_transport = dropped (server, "no-transport");
  too_long = dropped (server, "too-long");
  {
    guint64 start = test_remote_frames (b, a_id, "camera");
    gint64 t0 = g_get_monotonic_time ();

    for (guint round = 0; round < ROUNDS; round++) {
      gboolean done = FALSE;

      send_garbage (socket, ports);
      g_timeout_add (25, on_tick, &done);
      WAIT_UNTIL (done);
    }
    during = (test_remote_frames (b, a_id, "camera") - start) * G_USEC_PER_SEC /
             (g_get_monotonic_time () - t0);
  }
  g_test_message ("B's frames per second from A: %" G_GUINT64_FORMAT " before, %"
                  G_GUINT64_FORMAT " under %u rounds of bad datagrams to %u ports",
                  before, during, ROUNDS, ports->len);

  g_assert_cmpuint (dropped (server, "not-stun"), >, not_stun);
  g_assert_cmpuint (dropped (server, "bad-stun"), >, bad_stun);
  g_assert_cmpuint (dropped (server, "no-transport"), >, no_transport);
  g_assert_cmpuint (dropped (server, "too-long"), >, too_long);
  /* Half, not all: the machine's own load moves the rate too. */
  g_assert_cmpuint (during * 2, >=, before);
  g_assert_true (test_server_is_running (server));
  /* And still afterwards. */
  g_assert_cmpuint (frames_in_a_second (b, a_id), >, 0);

  ms_session_close_call (a);
  ms_session_close_call (b);
  test_server_stop (server);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  g_test_add_func ("/media-input/bad-datagrams", test_bad_datagrams);

  ret = g_test_run ();
  return test_media_deinit (ret);
}
