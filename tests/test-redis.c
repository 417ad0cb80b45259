/* test-redis.c: MsRedis against a real redis-server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * URL parsing, then commands, a refused password, a server that stops
 * and comes back on the same port, one that stops answering, and TLS,
 * each with its own redis-server (tests/test-redis-utils.c).
 */

#include "config.h"

#include <string.h>

#include "ms-redis.h"
#include "test-redis-utils.h"
#include "test-utils.h"

/* '@', '/' and ':' check that the URL's password is unescaped. */
#define PASSWORD "p@ss/w:rd-sesame"

typedef struct {
  gboolean  called;
  GError   *error;
  char     *text;   /* the reply, described */
} Result;

typedef struct {
  guint connected;
  guint disconnected;
} Events;

static void
result_clear (Result *result)
{
  g_clear_error (&result->error);
  g_clear_pointer (&result->text, g_free);
  result->called = FALSE;
}

static void
describe (GString    *out,
          redisReply *reply)
{
  switch (reply->type) {
  case REDIS_REPLY_STRING:
  case REDIS_REPLY_STATUS:
    for (gsize i = 0; i < reply->len; i++) {
      guchar c = reply->str[i];

      if (g_ascii_isprint (c) && c != '\\')
        g_string_append_c (out, c);
      else
        g_string_append_printf (out, "\\x%02x", c);
    }
    break;
  case REDIS_REPLY_INTEGER:
    g_string_append_printf (out, "%lld", reply->integer);
    break;
  case REDIS_REPLY_NIL:
    g_string_append (out, "nil");
    break;
  case REDIS_REPLY_ARRAY:
    g_string_append_c (out, '[');
    for (gsize i = 0; i < reply->elements; i++) {
      if (i > 0)
        g_string_append_c (out, ',');
      describe (out, reply->element[i]);
    }
    g_string_append_c (out, ']');
    break;
  default:
    g_assert_not_reached ();
  }
}

static void
on_result (MsRedis      *redis,
           redisReply   *reply,
           const GError *error,
           gpointer      user_data)
{
  Result *result = user_data;

  g_assert_false (result->called);
  g_assert_true ((reply == NULL) != (error == NULL));
  result->called = TRUE;
  if (error != NULL) {
    result->error = g_error_copy (error);
  } else {
    GString *text = g_string_new (NULL);

    describe (text, reply);
    result->text = g_string_free (text, FALSE);
  }
}

/* Runs one command and waits for its answer. */
static void
run (MsRedis    *redis,
     Result     *result,
     guint       argc,
     const char *const *argv,
     const gsize *lens)
{
  result_clear (result);
  ms_redis_commandv (redis, argc, argv, lens, on_result, result);
  WAIT_UNTIL (result->called);
}

static void
expect_text (MsRedis    *redis,
             const char *expected,
             const char *first_arg,
             ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  Result result = { 0 };
  va_list args;

  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);

  run (redis, &result, argv->len, (const char * const *) argv->pdata, NULL);
  g_assert_no_error (result.error);
  g_assert_cmpstr (result.text, ==, expected);
  result_clear (&result);
}

static void
on_connected (MsRedis *redis,
              Events  *events)
{
  events->connected++;
}

static void
on_disconnected (MsRedis *redis,
                 Events  *events)
{
  events->disconnected++;
}

/* MsRedis warns when Redis goes away, which these tests make happen:
 * its warnings are not fatal here. None of its logs may show a password. */
static void
on_log (const char     *domain,
        GLogLevelFlags  level,
        const char     *message,
        gpointer        user_data)
{
  g_assert_null (strstr (message, PASSWORD));
  g_assert_null (strstr (message, "wrong@"));
  /* The default handler would abort on the flag itself; whether to abort
   * is on_fatal_log's to say, and g_log()'s to do. */
  g_log_default_handler (domain, level & ~G_LOG_FLAG_FATAL, message, user_data);
}

static gboolean
on_fatal_log (const char     *domain,
              GLogLevelFlags  level,
              const char     *message,
              gpointer        user_data)
{
  return !(g_strcmp0 (domain, "MsRedis") == 0 &&
           (level & G_LOG_LEVEL_MASK) == G_LOG_LEVEL_WARNING);
}

static MsRedis *
redis_new (const char *url,
           const char *ca_file,
           Events     *events)
{
  g_autoptr (GError) error = NULL;
  MsRedis *redis = ms_redis_new (url, ca_file, &error);

  /* GLib resets the fatal handler before each test case. */
  g_test_log_set_fatal_handler (on_fatal_log, NULL);
  g_assert_no_error (error);
  g_signal_connect (redis, "connected", G_CALLBACK (on_connected), events);
  g_signal_connect (redis, "disconnected", G_CALLBACK (on_disconnected), events);
  ms_redis_start (redis);

  return redis;
}

/* The cancelled operations of a finalized MsRedis return on the next
 * turns of the loop; let them free what they hold before the test ends. */
static void
redis_finalize (MsRedis *redis)
{
  g_assert_finalize_object (redis);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_url (void)
{
  static const struct {
    const char *url;
    const char *display;
  } good[] = {
    { "redis://127.0.0.1", "redis://127.0.0.1:6379/0" },
    { "redis://127.0.0.1:7000/", "redis://127.0.0.1:7000/0" },
    { "redis://:secret@127.0.0.1:6379/2", "redis://:***@127.0.0.1:6379/2" },
    { "redis://user:secret@localhost/15", "redis://user:***@localhost:6379/15" },
    { "rediss://:s%40cret@[::1]:6380", "rediss://:***@[::1]:6380/0" },
    { "REDIS://Example.ORG/3", "redis://Example.ORG:6379/3" },
  };
  static const char * const bad[] = {
    "redis://",
    "redis:///0",
    "redis://:secret@/0",
    "http://127.0.0.1",
    "127.0.0.1:6379",
    "redis://127.0.0.1/x",
    "redis://127.0.0.1/99999",
    "redis://127.0.0.1/16",
    "redis://127.0.0.1/-1",
    "redis://127.0.0.1/1/",
    "redis://127.0.0.1:0",
    "redis://127.0.0.1:99999",
    "redis://127.0.0.1/0?db=1",
    "redis://user@127.0.0.1",
    "redis://:secret@127.0.0.1:port",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (MsRedis) redis = ms_redis_new (good[i].url, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (ms_redis_get_display_url (redis), ==, good[i].display);
    g_assert_false (ms_redis_is_connected (redis));
  }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (MsRedis) redis = ms_redis_new (bad[i], NULL, &error);

    g_test_message ("%s: %s", bad[i], error ? error->message : "(accepted)");
    g_assert_error (error, MS_REDIS_ERROR, MS_REDIS_ERROR_URL);
    g_assert_null (redis);
    /* Messages may reach logs: never the password. */
    g_assert_null (strstr (error->message, "secret"));
  }

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (MsRedis) redis = ms_redis_new ("rediss://127.0.0.1", "/nonexistent/ca.pem",
                                              &error);

    g_assert_nonnull (error);
    g_assert_null (redis);
  }
}

static void
test_commands (void)
{
  g_autoptr (TestRedis) server = test_redis_start (PASSWORD, FALSE);
  Events events = { 0 };
  MsRedis *redis = redis_new (test_redis_get_url (server), NULL, &events);
  static const char value[] = "bin\0ary\xff";
  const char *set[] = { "SET", "blob", value };
  gsize set_lens[] = { 3, 4, sizeof value - 1 };
  const char *incr[] = { "INCR", "pipelined" };
  Result result = { 0 };
  Result *results;
  guint n = 1000;

  WAIT_UNTIL (ms_redis_is_connected (redis));
  g_assert_cmpuint (events.connected, ==, 1);
  g_assert_null (ms_redis_get_last_error (redis));

  run (redis, &result, G_N_ELEMENTS (set), set, set_lens);
  g_assert_no_error (result.error);
  g_assert_cmpstr (result.text, ==, "OK");
  expect_text (redis, "bin\\x00ary\\xff", "GET", "blob", NULL);
  expect_text (redis, "nil", "GET", "nothing", NULL);
  expect_text (redis, "1", "INCR", "counter", NULL);
  expect_text (redis, "2", "INCR", "counter", NULL);
  expect_text (redis, "[1,two,[3,nil]]", "EVAL", "return {1, 'two', {3, false}}", "0", NULL);

  /* An error reply is the command's error, not the connection's. */
  expect_text (redis, "OK", "SET", "text", "not a number", NULL);
  result_clear (&result);
  ms_redis_command (redis, on_result, &result, "INCR", "text", NULL);
  WAIT_UNTIL (result.called);
  g_assert_error (result.error, MS_REDIS_ERROR, MS_REDIS_ERROR_REPLY);
  g_assert_nonnull (strstr (result.error->message, "not an integer"));
  g_assert_true (ms_redis_is_connected (redis));

  /* Pipelined: all queued before the first reply, answered in order. */
  results = g_new0 (Result, n);
  for (guint i = 0; i < n; i++)
    ms_redis_commandv (redis, G_N_ELEMENTS (incr), incr, NULL, on_result, &results[i]);
  WAIT_UNTIL (results[n - 1].called);
  for (guint i = 0; i < n; i++) {
    g_autofree char *expected = g_strdup_printf ("%u", i + 1);

    g_assert_true (results[i].called);
    g_assert_no_error (results[i].error);
    g_assert_cmpstr (results[i].text, ==, expected);
    result_clear (&results[i]);
  }
  g_free (results);

  g_assert_cmpuint (events.disconnected, ==, 0);
  result_clear (&result);
  redis_finalize (redis);

  /* Database 2 (SELECT after AUTH) is not database 0. */
  {
    const char *url = test_redis_get_url (server);
    g_autofree char *base = g_strndup (url, strlen (url) - 1);
    g_autofree char *url2 = g_strconcat (base, "2", NULL);
    Events events2 = { 0 };

    g_assert_true (g_str_has_suffix (url, "/0"));
    redis = redis_new (url2, NULL, &events2);
    WAIT_UNTIL (ms_redis_is_connected (redis));
    expect_text (redis, "nil", "GET", "counter", NULL);
    expect_text (redis, "OK", "SET", "counter", "in 2", NULL);
    redis_finalize (redis);

    redis = redis_new (url, NULL, &events2);
    WAIT_UNTIL (ms_redis_is_connected (redis));
    expect_text (redis, "2", "GET", "counter", NULL);
    redis_finalize (redis);
  }
}

static void
test_wrong_password (void)
{
  g_autoptr (TestRedis) server = test_redis_start (PASSWORD, FALSE);
  g_autofree char *url = g_strdup_printf ("redis://:wrong@127.0.0.1:%u/0",
                                          test_redis_get_port (server));
  Events events = { 0 };
  MsRedis *redis = redis_new (url, NULL, &events);
  Result result = { 0 };

  WAIT_UNTIL (ms_redis_get_last_error (redis) != NULL);
  g_test_message ("last error: %s", ms_redis_get_last_error (redis));
  g_assert_nonnull (strstr (ms_redis_get_last_error (redis), "password"));
  g_assert_false (ms_redis_is_connected (redis));

  ms_redis_command (redis, on_result, &result, "PING", NULL);
  /* Failed from an idle, never inside the call. */
  g_assert_false (result.called);
  WAIT_UNTIL (result.called);
  g_assert_error (result.error, MS_REDIS_ERROR, MS_REDIS_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (result.error->message, "password"));

  g_assert_cmpuint (events.connected, ==, 0);
  g_assert_cmpuint (events.disconnected, ==, 0);
  result_clear (&result);
  redis_finalize (redis);
}

static void
test_restart (void)
{
  g_autoptr (TestRedis) server = test_redis_start (PASSWORD, FALSE);
  Events events = { 0 };
  MsRedis *redis = redis_new (test_redis_get_url (server), NULL, &events);
  Result blocked = { 0 };
  Result result = { 0 };
  gint64 restarted;

  WAIT_UNTIL (events.connected == 1);
  expect_text (redis, "OK", "SET", "before", "1", NULL);

  /* Pending when the server goes: it never answers BLPOP on no list. */
  ms_redis_command (redis, on_result, &blocked, "BLPOP", "no-list", "0", NULL);
  test_redis_stop (server);
  WAIT_UNTIL (events.disconnected == 1 && blocked.called);
  g_assert_error (blocked.error, MS_REDIS_ERROR, MS_REDIS_ERROR_UNAVAILABLE);
  g_assert_false (ms_redis_is_connected (redis));
  g_assert_nonnull (ms_redis_get_last_error (redis));
  g_test_message ("last error: %s", ms_redis_get_last_error (redis));

  ms_redis_command (redis, on_result, &result, "PING", NULL);
  g_assert_false (result.called);
  WAIT_UNTIL (result.called);
  g_assert_error (result.error, MS_REDIS_ERROR, MS_REDIS_ERROR_UNAVAILABLE);

  /* Back on the same port: reconnected by itself, within the 2 s
   * backoff's reach. */
  test_redis_restart (server);
  restarted = g_get_monotonic_time ();
  WAIT_UNTIL (events.connected == 2);
  g_assert_cmpint (g_get_monotonic_time () - restarted, <,
                   5 * G_USEC_PER_SEC * test_timeout_scale ());
  g_assert_cmpuint (events.disconnected, ==, 1);
  g_assert_null (ms_redis_get_last_error (redis));
  /* Nothing persists: a fresh server. */
  expect_text (redis, "nil", "GET", "before", NULL);
  expect_text (redis, "PONG", "PING", NULL);

  result_clear (&blocked);
  result_clear (&result);
  redis_finalize (redis);
}

/* A server that stops answering: CLIENT PAUSE holds every command for
 * 3 s, past the 2 s reply timeout. */
static void
test_timeout (void)
{
  g_autoptr (TestRedis) server = test_redis_start (NULL, FALSE);
  Events events = { 0 };
  MsRedis *redis = redis_new (test_redis_get_url (server), NULL, &events);
  Result first = { 0 };
  Result second = { 0 };

  WAIT_UNTIL (events.connected == 1);
  expect_text (redis, "OK", "CLIENT", "PAUSE", "3000", "ALL", NULL);
  ms_redis_command (redis, on_result, &first, "PING", NULL);
  ms_redis_command (redis, on_result, &second, "PING", NULL);
  WAIT_UNTIL (first.called && second.called);
  g_assert_error (first.error, MS_REDIS_ERROR, MS_REDIS_ERROR_TIMEOUT);
  g_assert_error (second.error, MS_REDIS_ERROR, MS_REDIS_ERROR_UNAVAILABLE);
  g_assert_cmpuint (events.disconnected, ==, 1);
  g_assert_nonnull (strstr (ms_redis_get_last_error (redis), "did not answer"));

  /* Once the pause is over, the connection comes back by itself. */
  WAIT_UNTIL (events.connected == 2);
  expect_text (redis, "PONG", "PING", NULL);

  result_clear (&first);
  result_clear (&second);
  redis_finalize (redis);
}

static void
test_tls (void)
{
  g_autoptr (TestRedis) server = test_redis_start (PASSWORD, TRUE);
  Events events = { 0 };
  Events untrusting_events = { 0 };
  MsRedis *redis = redis_new (test_redis_get_url (server), test_redis_get_ca_file (server),
                              &events);
  MsRedis *untrusting;

  g_assert_true (g_str_has_prefix (test_redis_get_url (server), "rediss://"));
  WAIT_UNTIL (ms_redis_is_connected (redis));
  expect_text (redis, "OK", "SET", "secure", "yes", NULL);
  expect_text (redis, "yes", "GET", "secure", NULL);

  /* The system's CAs do not know the test's certificate. */
  untrusting = redis_new (test_redis_get_url (server), NULL, &untrusting_events);
  WAIT_UNTIL (ms_redis_get_last_error (untrusting) != NULL);
  g_test_message ("last error: %s", ms_redis_get_last_error (untrusting));
  g_assert_nonnull (strstr (ms_redis_get_last_error (untrusting), "certificate"));
  g_assert_nonnull (strstr (ms_redis_get_last_error (untrusting), "known authority"));
  g_assert_false (ms_redis_is_connected (untrusting));
  g_assert_cmpuint (untrusting_events.connected, ==, 0);

  redis_finalize (untrusting);
  redis_finalize (redis);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_handler ("MsRedis", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL, on_log, NULL);

  g_test_add_func ("/redis/url", test_url);
  g_test_add_func ("/redis/commands", test_commands);
  g_test_add_func ("/redis/wrong-password", test_wrong_password);
  g_test_add_func ("/redis/restart", test_restart);
  g_test_add_func ("/redis/timeout", test_timeout);
  g_test_add_func ("/redis/tls", test_tls);

  return g_test_run ();
}
