/* test-redis-utils.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

#include "test-redis-utils.h"
#include "test-utils.h"

struct _TestRedis {
  GSubprocess *process;
  gboolean     exited;
  char        *dir;
  char        *log_path;
  char        *password;
  gboolean     tls;
  guint16      port;
  char        *url;
  char        *cert_file;
  char        *key_file;
};

/* If the test dies on a failed assertion, take redis-server with it. */
static void
kill_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* A port nothing listens on now; redis-server cannot be asked for one
 * (its --port 0 turns TCP off), so it is picked here, just before. */
static guint16
free_port (void)
{
  guint16 port;
  g_autoptr (GSocket) sock = test_bind_loopback (G_SOCKET_TYPE_STREAM, &port);

  return port;
}

static void
make_certificate (TestRedis *redis)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) openssl = NULL;

  redis->cert_file = g_build_filename (redis->dir, "cert.pem", NULL);
  redis->key_file = g_build_filename (redis->dir, "key.pem", NULL);
  openssl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                              "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                              "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                              "-keyout", redis->key_file, "-out", redis->cert_file, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check (openssl, NULL, &error);
  g_assert_no_error (error);
}

static void
print_log (TestRedis *redis)
{
  g_autofree char *log = NULL;

  if (g_file_get_contents (redis->log_path, &log, NULL, NULL))
    g_test_message ("redis-server's log:\n%s", log);
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

static void
on_probed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GSocketConnection) connection = NULL;
  int *state = user_data;

  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, NULL);
  *state = connection != NULL ? 1 : -1;
}

static void
on_due (gpointer user_data)
{
  gboolean *due = user_data;

  *due = TRUE;
}

/* The log's "Ready to accept connections" would do too, but a connect
 * is what the tests need to work; bounded, not a sleep. */
static void
wait_listening (TestRedis *redis)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;
  int state = -1;

  while (state != 1) {
    g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", redis->port);

    if (redis->exited || g_get_monotonic_time () > deadline) {
      print_log (redis);
      g_error ("redis-server %s on port %u", redis->exited ? "exited" : "does not listen",
               redis->port);
    }
    state = 0;
    g_socket_client_connect_to_host_async (client, address, 0, NULL, on_probed, &state);
    WAIT_UNTIL (state != 0);
    /* Between refused attempts, a turn of the loop with a 10 ms timer:
     * redis-server needs a few milliseconds to start listening. */
    if (state != 1) {
      gboolean due = FALSE;

      g_timeout_add_once (10, on_due, &due);
      WAIT_UNTIL (due);
    }
  }
}

static void
launch (TestRedis *redis)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, g_strdup ("redis-server"));
  g_ptr_array_add (argv, g_strdup ("--save"));
  g_ptr_array_add (argv, g_strdup (""));
  g_ptr_array_add (argv, g_strdup ("--appendonly"));
  g_ptr_array_add (argv, g_strdup ("no"));
  g_ptr_array_add (argv, g_strdup ("--bind"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1"));
  g_ptr_array_add (argv, g_strdup ("--dir"));
  g_ptr_array_add (argv, g_strdup (redis->dir));
  g_ptr_array_add (argv, g_strdup ("--port"));
  if (redis->tls) {
    g_ptr_array_add (argv, g_strdup ("0"));
    g_ptr_array_add (argv, g_strdup ("--tls-port"));
    g_ptr_array_add (argv, g_strdup_printf ("%u", redis->port));
    g_ptr_array_add (argv, g_strdup ("--tls-cert-file"));
    g_ptr_array_add (argv, g_strdup (redis->cert_file));
    g_ptr_array_add (argv, g_strdup ("--tls-key-file"));
    g_ptr_array_add (argv, g_strdup (redis->key_file));
    g_ptr_array_add (argv, g_strdup ("--tls-ca-cert-file"));
    g_ptr_array_add (argv, g_strdup (redis->cert_file));
    g_ptr_array_add (argv, g_strdup ("--tls-auth-clients"));
    g_ptr_array_add (argv, g_strdup ("no"));
  } else {
    g_ptr_array_add (argv, g_strdup_printf ("%u", redis->port));
  }
  if (redis->password != NULL) {
    g_ptr_array_add (argv, g_strdup ("--requirepass"));
    g_ptr_array_add (argv, g_strdup (redis->password));
  }
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, redis->log_path);
  g_subprocess_launcher_set_child_setup (launcher, kill_with_parent, NULL, NULL);
  g_clear_object (&redis->process);
  redis->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                 &error);
  g_assert_no_error (error);
  redis->exited = FALSE;
  g_subprocess_wait_async (redis->process, NULL, on_exited, &redis->exited);

  wait_listening (redis);
}

TestRedis *
test_redis_start (const char *password,
                  gboolean    tls)
{
  g_autoptr (GError) error = NULL;
  TestRedis *redis = g_new0 (TestRedis, 1);

  redis->dir = g_dir_make_tmp ("mediastore-redis-XXXXXX", &error);
  g_assert_no_error (error);
  redis->log_path = g_build_filename (redis->dir, "redis.log", NULL);
  redis->password = g_strdup (password);
  redis->tls = tls;
  redis->port = free_port ();
  redis->url = g_uri_join_with_user (G_URI_FLAGS_HAS_PASSWORD, tls ? "rediss" : "redis",
                                     password != NULL ? "" : NULL, password, NULL,
                                     "127.0.0.1", redis->port, "/0",
                                     NULL, NULL);
  if (tls)
    make_certificate (redis);

  launch (redis);

  return redis;
}

const char *
test_redis_get_url (TestRedis *redis)
{
  return redis->url;
}

const char *
test_redis_get_ca_file (TestRedis *redis)
{
  return redis->cert_file;
}

guint16
test_redis_get_port (TestRedis *redis)
{
  return redis->port;
}

void
test_redis_stop (TestRedis *redis)
{
  g_subprocess_send_signal (redis->process, SIGTERM);
  WAIT_UNTIL (redis->exited);
  if (!g_subprocess_get_if_exited (redis->process) ||
      g_subprocess_get_exit_status (redis->process) != 0) {
    print_log (redis);
    g_error ("redis-server did not exit cleanly");
  }
}

void
test_redis_restart (TestRedis *redis)
{
  g_assert_true (redis->exited);
  launch (redis);
}

void
test_redis_free (TestRedis *redis)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (redis == NULL)
    return;

  if (redis->process != NULL && !redis->exited) {
    g_subprocess_force_exit (redis->process);
    WAIT_UNTIL (redis->exited);
  }
  g_clear_object (&redis->process);

  dir = g_dir_open (redis->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = g_build_filename (redis->dir, name, NULL);

    g_remove (path);
  }
  g_rmdir (redis->dir);

  g_free (redis->dir);
  g_free (redis->log_path);
  g_free (redis->password);
  g_free (redis->url);
  g_free (redis->cert_file);
  g_free (redis->key_file);
  g_free (redis);
}
