/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilRisk below the HTTP layer: the canara rules add up and clamp;
 * device drift, impossible travel and bot timing are found in synthetic
 * events; the thresholds step up at 0.7 and block at 0.9 (pushes seen
 * through the session's signals); a block at confidence exactly 0.8 steps
 * up instead; decisions, security events and audit entries are written;
 * a benign session stays allowed. */
#include "config.h"

#include <math.h>
#include <sodium.h>

#include "vigil-engine.h"
#include "vigil-error.h"
#include "vigil-profiles-live.h"
#include "vigil-risk-private.h"
#include "vigil-rng.h"
#include "vigil-test-util.h"
#include "vigil-time.h"

#define START_US (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)

typedef struct
{
  char          *dir;
  VigilClock    *clock;
  VigilEngine   *engine;
  VigilSessions *sessions;
  VigilRisk     *risk;
  char          *user_id;
} Fixture;

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} Wait;

typedef struct
{
  guint  mpin_required;
  guint  blocked;
  char  *block_reason;
} Pushes;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  wait->done = TRUE;
}

static GAsyncResult *
wait_result (Wait *wait)
{
  g_assert_true (vigil_test_wait_for (&wait->done, 30000));
  return wait->result;
}

static char *
make_user (Fixture    *fixture,
           const char *phone)
{
  VigilRegistration registration = { .phone = phone, .password = "SecurePassword123" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(VigilUser) user = NULL;
  Wait wait = { 0 };

  vigil_auth_register_async (vigil_engine_get_auth (fixture->engine), &registration, NULL, NULL, on_done, &wait);
  result = wait_result (&wait);
  user = vigil_auth_register_finish (vigil_engine_get_auth (fixture->engine), result, &error);
  g_assert_no_error (error);
  return g_strdup (user->id);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  VigilEngineOptions options;

  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->clock = vigil_clock_new_manual (START_US);
  vigil_engine_options_init (&options);
  options.clock = fixture->clock;
  options.secrets = VIGIL_SECRETS_FILE_ONLY;
  options.hash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  options.hash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  fixture->engine = vigil_engine_new_with_options (fixture->dir, &options, &error);
  g_assert_no_error (error);
  fixture->sessions = vigil_engine_get_sessions (fixture->engine);
  fixture->risk = vigil_engine_get_risk (fixture->engine);
  fixture->user_id = make_user (fixture, "9876543210");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  vigil_engine_shutdown (fixture->engine);
  vigil_test_drain_main_context ();
  g_assert_finalize_object (g_steal_pointer (&fixture->engine));
  vigil_clock_unref (fixture->clock);
  vigil_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->user_id);
}

static void
on_mpin_required (VigilSession *session,
                  gpointer      user_data)
{
  ((Pushes *) user_data)->mpin_required++;
}

static void
on_blocked (VigilSession *session,
            const char   *reason,
            gpointer      user_data)
{
  Pushes *pushes = user_data;

  pushes->blocked++;
  g_free (pushes->block_reason);
  pushes->block_reason = g_strdup (reason);
}

/* A live session with a device context, its pushes counted in @pushes. */
static VigilSession *
start_session (Fixture *fixture,
               Pushes  *pushes)
{
  g_autoptr(JsonObject) context = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };
  VigilSession *session;

  json_object_set_string_member (context, "device_id", "device-1");
  json_object_set_string_member (context, "device_model", "Pixel 7");
  json_object_set_string_member (context, "os_version", "Android 14");
  vigil_sessions_start_async (fixture->sessions, fixture->user_id, "device-1", context, "127.0.0.1", NULL,
                              on_done, &wait);
  result = wait_result (&wait);
  session = vigil_sessions_start_finish (fixture->sessions, result, &error);
  g_assert_no_error (error);
  if (pushes != NULL)
    {
      g_signal_connect (session, "mpin-required", G_CALLBACK (on_mpin_required), pushes);
      g_signal_connect (session, "blocked", G_CALLBACK (on_blocked), pushes);
    }
  return session;
}

static char *
timestamp (gint64 offset_ms)
{
  return vigil_time_format_iso8601 (START_US + offset_ms * 1000);
}

/* {"event_type": @type, "timestamp": START + @offset_ms, "data": @data} */
static VigilEvent *
make_event (const char *type,
            gint64      offset_ms,
            const char *data)
{
  g_autofree char *when = timestamp (offset_ms);
  g_autofree char *text = g_strdup_printf ("{\"event_type\":\"%s\",\"timestamp\":\"%s\",\"data\":%s}", type, when,
                                           data ? data : "{}");
  g_autoptr(JsonNode) node = json_from_string (text, NULL);
  g_autoptr(GError) error = NULL;
  VigilEvent *event;

  g_assert_nonnull (node);
  event = vigil_event_new_from_json (json_node_get_object (node), strlen (text), &error);
  g_assert_no_error (error);
  return event;
}

/* Appends @events to @session, lets the bus deliver them and every
 * decision commit. */
static void
feed (Fixture      *fixture,
      VigilSession *session,
      GPtrArray    *events)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  vigil_sessions_append_async (fixture->sessions, vigil_session_get_id (session), fixture->user_id, events, NULL,
                               on_done, &wait);
  result = wait_result (&wait);
  vigil_sessions_append_finish (fixture->sessions, result, &error);
  g_assert_no_error (error);
  vigil_event_bus_flush (vigil_engine_get_event_bus (fixture->engine));
  vigil_store_flush (vigil_engine_get_store (fixture->engine));
  vigil_test_drain_main_context ();
}

/* Feeds events of the given types, a second apart with a human jitter. */
static void
feed_types (Fixture      *fixture,
            VigilSession *session,
            const char   *first_type,
            ...) G_GNUC_NULL_TERMINATED;

static void
feed_types (Fixture      *fixture,
            VigilSession *session,
            const char   *first_type,
            ...)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  static gint64 offset_ms = 0;
  va_list args;

  va_start (args, first_type);
  for (const char *type = first_type; type != NULL; type = va_arg (args, const char *))
    {
      offset_ms += 700 + g_test_rand_int_range (0, 900);
      g_ptr_array_add (events, make_event (type, offset_ms, NULL));
    }
  va_end (args);
  feed (fixture, session, events);
}

static gint64
query_int (Fixture    *fixture,
           const char *sql)
{
  g_autoptr(GError) error = NULL;
  gint64 value = -1;

  g_assert_true (vigil_db_query_int (vigil_store_get_reader (vigil_engine_get_store (fixture->engine)), sql, &value,
                                     &error));
  g_assert_no_error (error);
  return value;
}

static gboolean
has_reason (const VigilRiskDecision *decision,
            const char              *code)
{
  for (guint i = 0; i < decision->reasons->len; i++)
    if (g_strcmp0 (((VigilRiskReason *) g_ptr_array_index (decision->reasons, i))->code, code) == 0)
      return TRUE;
  return FALSE;
}

static VigilRiskDecision *
last_decision (Fixture      *fixture,
               VigilSession *session)
{
  VigilRiskDecision *decision = vigil_risk_get_last_decision (fixture->risk, vigil_session_get_id (session));

  g_assert_nonnull (decision);
  return decision;
}

/* The pure decision function, at and around every threshold. */
static void
test_decide (void)
{
  VigilDecision requested;

  g_assert_cmpint (vigil_risk_decide (0.0, 1.0, NULL), ==, VIGIL_DECISION_ALLOW);
  g_assert_cmpint (vigil_risk_decide (0.399, 1.0, NULL), ==, VIGIL_DECISION_ALLOW);
  g_assert_cmpint (vigil_risk_decide (0.4, 1.0, NULL), ==, VIGIL_DECISION_MONITOR);
  g_assert_cmpint (vigil_risk_decide (0.699, 1.0, NULL), ==, VIGIL_DECISION_MONITOR);
  g_assert_cmpint (vigil_risk_decide (0.7, 0.1, NULL), ==, VIGIL_DECISION_STEP_UP);
  g_assert_cmpint (vigil_risk_decide (0.899, 1.0, NULL), ==, VIGIL_DECISION_STEP_UP);
  g_assert_cmpint (vigil_risk_decide (0.9, 0.801, &requested), ==, VIGIL_DECISION_BLOCK);
  g_assert_cmpint (requested, ==, VIGIL_DECISION_BLOCK);
  /* Exactly 0.8 does not block: it steps up. */
  g_assert_cmpint (vigil_risk_decide (0.9, 0.8, &requested), ==, VIGIL_DECISION_STEP_UP);
  g_assert_cmpint (requested, ==, VIGIL_DECISION_BLOCK);
  g_assert_cmpint (vigil_risk_decide (1.0, 0.8, NULL), ==, VIGIL_DECISION_STEP_UP);
  g_assert_cmpint (vigil_risk_decide (1.0, 0.5, NULL), ==, VIGIL_DECISION_STEP_UP);
  g_assert_cmpstr (vigil_decision_to_string (VIGIL_DECISION_STEP_UP), ==, "step_up");
}

static void
test_rules_add_and_clamp (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(VigilSession) session = start_session (fixture, NULL);
  g_autoptr(VigilSession) other = start_session (fixture, NULL);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(VigilRiskDecision) first = NULL;
  g_autoptr(VigilRiskDecision) second = NULL;
  g_autoptr(VigilRiskDecision) clamped = NULL;
  g_autoptr(VigilRiskDecision) low = NULL;

  g_assert_cmpfloat (vigil_risk_get_session_risk (fixture->risk, vigil_session_get_id (session)), ==, -1);

  /* 0.25 + 0.15 = 0.4: monitor. */
  feed_types (fixture, session, "mpin_failed", "new_beneficiary", NULL);
  first = last_decision (fixture, session);
  g_assert_cmpfloat_with_epsilon (first->risk, 0.4, 1e-9);
  g_assert_cmpint (first->decision, ==, VIGIL_DECISION_MONITOR);
  g_assert_cmpfloat_with_epsilon (vigil_session_get_risk_score (session), 0.4, 1e-9);
  g_assert_true (has_reason (first, "rule.mpin_failed"));

  /* − 0.1 − 0.05 − 0.02, and a transaction over 50,000 (+0.15) and a
   * typing speed under 10 wpm (+0.05). */
  feed_types (fixture, session, "mpin_verified", "idle_timeout", "normal_typing", NULL);
  g_ptr_array_add (events, make_event ("transaction_attempt", 30000, "{\"amount\": 75000}"));
  g_ptr_array_add (events, make_event ("typing_pattern", 31500, "{\"typing_speed\": 4}"));
  feed (fixture, session, events);
  second = last_decision (fixture, session);
  g_assert_cmpfloat_with_epsilon (second->risk, 0.4 - 0.17 + 0.2, 1e-9);
  g_assert_true (has_reason (second, "rule.transaction_amount"));
  g_assert_true (has_reason (second, "rule.typing_speed"));

  /* Clamped at 1 after every event, as the seed did: 1 − 0.1 = 0.9 and
   * not 1.2 − 0.1. */
  feed_types (fixture, other, "multiple_login_attempts", "multiple_login_attempts", "multiple_login_attempts",
              "multiple_login_attempts", "mpin_verified", NULL);
  clamped = last_decision (fixture, other);
  g_assert_cmpfloat_with_epsilon (clamped->risk, 0.9, 1e-9);

  /* And at 0 from below. */
  {
    g_autoptr(VigilSession) third = start_session (fixture, NULL);

    feed_types (fixture, third, "mpin_verified", "mpin_verified", "rapid_clicks", NULL);
    low = last_decision (fixture, third);
    g_assert_cmpfloat_with_epsilon (low->risk, 0.1, 1e-9);
    g_assert_cmpint (low->decision, ==, VIGIL_DECISION_ALLOW);
  }
}

static void
test_page_switches (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(VigilSession) session = start_session (fixture, NULL);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(VigilRiskDecision) decision = NULL;

  /* Eleven switches in 55 s: more than ten a minute. */
  for (guint i = 0; i < 11; i++)
    g_ptr_array_add (events, make_event ("page_view", i * 5000 + (i % 3) * 700, NULL));
  feed (fixture, session, events);
  decision = last_decision (fixture, session);
  g_assert_true (has_reason (decision, "rule.page_switches"));
  g_assert_cmpfloat_with_epsilon (decision->risk, 0.1, 1e-9);
}

static void
test_device_drift (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(VigilSession) session = start_session (fixture, NULL);
  g_autoptr(GPtrArray) same = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(VigilRiskDecision) before = NULL;
  g_autoptr(VigilRiskDecision) after = NULL;

  g_ptr_array_add (same, make_event ("security_check", 1000, "{\"device_id\": \"device-1\", \"os_version\": \"Android 14\"}"));
  feed (fixture, session, same);
  before = last_decision (fixture, session);
  g_assert_false (has_reason (before, "device_drift"));
  g_assert_cmpint (before->decision, ==, VIGIL_DECISION_ALLOW);

  g_ptr_array_add (changed, make_event ("security_check", 2000,
                                        "{\"device_info\": {\"device_model\": \"iPhone 15\"}}"));
  feed (fixture, session, changed);
  after = last_decision (fixture, session);
  g_assert_true (has_reason (after, "device_drift"));
  g_assert_cmpfloat_with_epsilon (after->risk, 0.6, 1e-9);
  g_assert_cmpfloat_with_epsilon (after->confidence, 0.95, 1e-9);
  g_assert_cmpint (after->decision, ==, VIGIL_DECISION_MONITOR);
}

/* A live session of the fixture's user on @device at (@lat, @lon), with
 * one page view so that it is judged. */
static VigilSession *
start_session_at (Fixture    *fixture,
                  const char *device,
                  double      lat,
                  double      lon)
{
  g_autoptr(JsonObject) context = json_object_new ();
  g_autoptr(JsonObject) location = json_object_new ();
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };
  VigilSession *session;

  json_object_set_string_member (context, "device_id", device);
  json_object_set_double_member (location, "latitude", lat);
  json_object_set_double_member (location, "longitude", lon);
  json_object_set_object_member (context, "location_data", g_steal_pointer (&location));
  vigil_sessions_start_async (fixture->sessions, fixture->user_id, device, context, "127.0.0.1", NULL, on_done,
                              &wait);
  result = wait_result (&wait);
  session = vigil_sessions_start_finish (fixture->sessions, result, &error);
  g_assert_no_error (error);
  g_ptr_array_add (events, make_event ("page_view", 0, "{\"page_name\": \"home\"}"));
  feed (fixture, session, events);
  return session;
}

/* A device the account never used, far from everywhere it was seen:
 * evidence of a takeover. A new phone at home, the usual phone abroad,
 * or an account's first session are not. */
static void
test_new_device_far (Fixture       *fixture,
                     gconstpointer  data)
{
  /* Bengaluru, then Lagos (about 7,700 km) and Mysuru (about 130 km). */
  g_autoptr(VigilSession) first = start_session_at (fixture, "phone-1", 12.97, 77.59);
  g_autoptr(VigilSession) stranger = start_session_at (fixture, "phone-2", 6.52, 3.38);
  g_autoptr(VigilSession) new_phone = start_session_at (fixture, "phone-3", 12.30, 76.64);
  g_autoptr(VigilSession) abroad = start_session_at (fixture, "phone-1", 6.52, 3.38);
  g_autoptr(VigilRiskDecision) first_decision = last_decision (fixture, first);
  g_autoptr(VigilRiskDecision) stranger_decision = last_decision (fixture, stranger);
  g_autoptr(VigilRiskDecision) new_phone_decision = last_decision (fixture, new_phone);
  g_autoptr(VigilRiskDecision) abroad_decision = last_decision (fixture, abroad);

  g_assert_false (has_reason (first_decision, "new_device_far"));
  g_assert_true (has_reason (stranger_decision, "new_device_far"));
  g_assert_cmpfloat_with_epsilon (stranger_decision->risk, 0.3, 1e-9);
  g_assert_cmpint (stranger_decision->decision, ==, VIGIL_DECISION_ALLOW);
  g_assert_false (has_reason (new_phone_decision, "new_device_far"));
  g_assert_false (has_reason (abroad_decision, "new_device_far"));
}

/* A tap at @offset_ms with the given pressure, size and duration (a
 * negative value is left out). */
static VigilEvent *
make_tap (gint64 offset_ms,
          double pressure,
          double size,
          double duration)
{
  g_autoptr(GString) data = g_string_new ("{\"coordinates\": [150, 200]");
  g_autofree char *text = NULL;

  if (pressure >= 0)
    g_string_append_printf (data, ", \"pressure\": %.3f", pressure);
  if (size >= 0)
    g_string_append_printf (data, ", \"size\": %.3f", size);
  if (duration >= 0)
    g_string_append_printf (data, ", \"duration\": %.1f", duration);
  g_string_append_c (data, '}');
  text = g_string_free (g_steal_pointer (&data), FALSE);
  return make_event ("button_click", offset_ms, text);
}

/* One gesture replayed identically is a script; with a metronome too, a
 * confident bot that is stepped up. Varying touches, or touches that
 * carry too few measured values to tell, are not. */
static void
test_bot_replay (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(VigilSession) bot = start_session (fixture, NULL);
  g_autoptr(VigilSession) human = start_session (fixture, NULL);
  g_autoptr(VigilSession) sparse = start_session (fixture, NULL);
  g_autoptr(GPtrArray) seven = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GPtrArray) rest = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GPtrArray) human_events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GPtrArray) sparse_events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(VigilRiskDecision) early = NULL;
  g_autoptr(VigilRiskDecision) replayed = NULL;
  g_autoptr(VigilRiskDecision) decision = NULL;
  g_autoptr(VigilRiskDecision) human_decision = NULL;
  g_autoptr(VigilRiskDecision) sparse_decision = NULL;
  gint64 at = 0;

  /* Seven identical taps (at a human pace) are not yet a replay. */
  for (guint i = 0; i < 7; i++)
    {
      at += 300 + 97 * (i % 5);
      g_ptr_array_add (seven, make_tap (at, 0.5, 0.1, 100));
    }
  feed (fixture, bot, seven);
  early = last_decision (fixture, bot);
  g_assert_false (has_reason (early, "bot_replay"));

  /* The eighth is: a monitor on its own ... */
  g_ptr_array_add (rest, make_tap (at + 700, 0.5, 0.1, 100));
  feed (fixture, bot, rest);
  replayed = last_decision (fixture, bot);
  g_assert_true (has_reason (replayed, "bot_replay"));
  g_assert_false (has_reason (replayed, "bot_timing"));
  g_assert_cmpfloat_with_epsilon (replayed->risk, 0.3, 1e-9);
  g_assert_cmpint (replayed->decision, ==, VIGIL_DECISION_ALLOW);

  /* ... and with a metronome's timing, a step-up. */
  g_ptr_array_set_size (rest, 0);
  at += 700;
  for (guint i = 0; i < 20; i++)
    g_ptr_array_add (rest, make_tap (at += 250, 0.5, 0.1, 100));
  feed (fixture, bot, rest);
  decision = last_decision (fixture, bot);
  g_assert_true (has_reason (decision, "bot_replay"));
  g_assert_true (has_reason (decision, "bot_timing"));
  g_assert_cmpfloat_with_epsilon (decision->risk, 0.8, 1e-9);
  g_assert_cmpint (decision->decision, ==, VIGIL_DECISION_STEP_UP);

  /* A person's touches vary, even when they are alike. */
  at = 0;
  for (guint i = 0; i < 30; i++)
    {
      at += 300 + g_test_rand_int_range (0, 1200);
      g_ptr_array_add (human_events, make_tap (at, 0.5 + 0.001 * (i % 4), 0.1, 90 + i % 7));
    }
  feed (fixture, human, human_events);
  human_decision = last_decision (fixture, human);
  g_assert_false (has_reason (human_decision, "bot_replay"));

  /* A device with a constant pressure, and nothing else reported. */
  at = 0;
  for (guint i = 0; i < 30; i++)
    g_ptr_array_add (sparse_events, make_tap (at += 300 + g_test_rand_int_range (0, 1200), 1.0, -1, -1));
  feed (fixture, sparse, sparse_events);
  sparse_decision = last_decision (fixture, sparse);
  g_assert_false (has_reason (sparse_decision, "bot_replay"));
}

static void
test_impossible_travel (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(VigilSession) session = start_session (fixture, NULL);
  g_autoptr(VigilSession) slow = start_session (fixture, NULL);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GPtrArray) slow_events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(VigilRiskDecision) decision = NULL;
  g_autoptr(VigilRiskDecision) slow_decision = NULL;

  /* Bengaluru, then Delhi (about 1,740 km) a minute later. */
  g_ptr_array_add (events, make_event ("location_update", 0, "{\"location\": {\"latitude\": 12.97, \"longitude\": 77.59}}"));
  g_ptr_array_add (events, make_event ("location_update", 60000, "{\"location_data\": {\"lat\": 28.61, \"lon\": 77.21}}"));
  feed (fixture, session, events);
  decision = last_decision (fixture, session);
  g_assert_true (has_reason (decision, "impossible_travel"));

  /* The same trip in three hours is a flight. */
  g_ptr_array_add (slow_events, make_event ("location_update", 0, "{\"latitude\": 12.97, \"longitude\": 77.59}"));
  g_ptr_array_add (slow_events, make_event ("location_update", 3 * 3600 * 1000, "{\"latitude\": 28.61, \"longitude\": 77.21}"));
  feed (fixture, slow, slow_events);
  slow_decision = last_decision (fixture, slow);
  g_assert_false (has_reason (slow_decision, "impossible_travel"));
}

static void
test_bot_timing (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(VigilSession) bot = start_session (fixture, NULL);
  g_autoptr(VigilSession) human = start_session (fixture, NULL);
  g_autoptr(GPtrArray) bot_events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GPtrArray) few = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GPtrArray) human_events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(VigilRiskDecision) early = NULL;
  g_autoptr(VigilRiskDecision) decision = NULL;
  g_autoptr(VigilRiskDecision) human_decision = NULL;
  gint64 at = 0;

  /* 19 metronomic events are not enough to judge; the 20th is. */
  for (guint i = 0; i < 19; i++)
    g_ptr_array_add (few, make_event ("button_click", i * 500, NULL));
  feed (fixture, bot, few);
  early = last_decision (fixture, bot);
  g_assert_false (has_reason (early, "bot_timing"));
  g_ptr_array_add (bot_events, make_event ("button_click", 19 * 500 + 2, NULL));
  feed (fixture, bot, bot_events);
  decision = last_decision (fixture, bot);
  g_assert_true (has_reason (decision, "bot_timing"));
  g_assert_cmpfloat_with_epsilon (decision->risk, 0.5, 1e-9);

  for (guint i = 0; i < 40; i++)
    {
      at += 200 + g_test_rand_int_range (0, 1500);
      g_ptr_array_add (human_events, make_event ("button_click", at, NULL));
    }
  feed (fixture, human, human_events);
  human_decision = last_decision (fixture, human);
  g_assert_false (has_reason (human_decision, "bot_timing"));
}

static void
test_step_up_at_0_7 (Fixture       *fixture,
                     gconstpointer  data)
{
  Pushes pushes = { 0 };
  g_autoptr(VigilSession) session = start_session (fixture, &pushes);
  g_autoptr(VigilRiskDecision) below = NULL;
  g_autoptr(VigilRiskDecision) decision = NULL;

  /* 0.25 + 0.3 = 0.55: monitor, nothing pushed. */
  feed_types (fixture, session, "mpin_failed", "multiple_login_attempts", NULL);
  below = last_decision (fixture, session);
  g_assert_cmpint (below->decision, ==, VIGIL_DECISION_MONITOR);
  g_assert_cmpuint (pushes.mpin_required, ==, 0);

  /* + 0.15 = 0.7 exactly: step up. */
  feed_types (fixture, session, "new_beneficiary", NULL);
  decision = last_decision (fixture, session);
  g_assert_cmpfloat_with_epsilon (decision->risk, 0.7, 1e-9);
  g_assert_cmpint (decision->decision, ==, VIGIL_DECISION_STEP_UP);
  g_assert_nonnull (decision->id);
  g_assert_cmpuint (pushes.mpin_required, ==, 1);
  g_assert_cmpuint (pushes.blocked, ==, 0);
  g_assert_cmpint (vigil_session_get_state (session), ==, VIGIL_SESSION_MONITOR);

  /* Still 0.7 on the next batch: the same decision is not pushed again. */
  feed_types (fixture, session, "button_click", NULL);
  g_assert_cmpuint (pushes.mpin_required, ==, 1);

  /* Stored: monitor, then step_up; each with its security event and
   * audit entry, and the session's risk. */
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM decisions"), ==, 2);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM decisions WHERE decision = 'step_up'"
                                       " AND abs (risk - 0.7) < 1e-9 AND session_id IS NOT NULL"), ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM security_events WHERE kind = 'risk.step_up'"
                                       " AND severity = 'warning'"), ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log WHERE action = 'risk.decision'"
                                       " AND actor = 'system'"), ==, 2);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM sessions WHERE abs (risk_score - 0.7) < 1e-9"), ==, 1);
}

static void
test_block_at_0_9 (Fixture       *fixture,
                   gconstpointer  data)
{
  Pushes pushes = { 0 };
  g_autoptr(VigilSession) session = start_session (fixture, &pushes);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);

  /* Device drift (0.6 at 0.95) and two failed MPINs (0.5 at 0.8): risk 1,
   * confidence (0.57 + 0.4) / 1.1 = 0.882 > 0.8: block. */
  g_ptr_array_add (events, make_event ("security_check", 1000, "{\"device_id\": \"device-666\"}"));
  g_ptr_array_add (events, make_event ("mpin_failed", 2300, NULL));
  g_ptr_array_add (events, make_event ("mpin_failed", 3900, NULL));
  feed (fixture, session, events);

  g_assert_cmpuint (pushes.blocked, ==, 1);
  g_assert_cmpstr (pushes.block_reason, ==, "Device changed during the session (device_id)");
  g_assert_cmpuint (pushes.mpin_required, ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM decisions WHERE decision = 'block'"
                                       " AND risk = 1 AND abs (confidence - 0.882) < 1e-9"), ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM security_events WHERE kind = 'risk.block'"
                                       " AND severity = 'critical'"), ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log WHERE action = 'risk.decision'"), ==, 1);
  g_free (pushes.block_reason);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM decisions WHERE decision = 'block'"
                                       " AND reasons LIKE '%device_drift%' AND reasons LIKE '%rule.mpin_failed%'"), ==, 1);
}

static void
test_block_confidence_exactly_0_8 (Fixture       *fixture,
                                   gconstpointer  data)
{
  Pushes pushes = { 0 };
  g_autoptr(VigilSession) session = start_session (fixture, &pushes);
  g_autoptr(VigilRiskDecision) decision = NULL;
  VigilRiskReason *first;

  /* Four failed MPINs: risk 1, all evidence client-reported rules at
   * confidence 0.8, so the block is not above 0.8: it steps up. */
  feed_types (fixture, session, "mpin_failed", "mpin_failed", "mpin_failed", "mpin_failed", NULL);
  decision = last_decision (fixture, session);
  g_assert_cmpfloat (decision->risk, ==, 1.0);
  g_assert_cmpfloat (decision->confidence, ==, 0.8);
  g_assert_cmpint (decision->requested, ==, VIGIL_DECISION_BLOCK);
  g_assert_cmpint (decision->decision, ==, VIGIL_DECISION_STEP_UP);
  first = g_ptr_array_index (decision->reasons, 0);
  g_assert_cmpstr (first->code, ==, "block_confidence_low");
  g_assert_cmpuint (pushes.blocked, ==, 0);
  g_assert_cmpuint (pushes.mpin_required, ==, 1);
  g_assert_nonnull (vigil_sessions_lookup (fixture->sessions, vigil_session_get_id (session)));
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM decisions WHERE decision = 'step_up'"
                                       " AND confidence = 0.8 AND reasons LIKE '%block_confidence_low%'"), ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM decisions WHERE decision = 'block'"), ==, 0);
}

static void
test_benign_session (Fixture       *fixture,
                     gconstpointer  data)
{
  Pushes pushes = { 0 };
  g_autoptr(VigilSession) session = start_session (fixture, &pushes);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(VigilRiskDecision) decision = NULL;
  static const char * const types[] = { "button_click", "typing_pattern", "page_view", "scroll", "normal_typing" };
  gint64 at = 0;

  for (guint i = 0; i < 60; i++)
    {
      const char *type = types[i % G_N_ELEMENTS (types)];

      at += 400 + g_test_rand_int_range (0, 4000);
      g_ptr_array_add (events, make_event (type, at, g_str_equal (type, "typing_pattern")
                                                       ? "{\"typing_speed\": 45, \"device_id\": \"device-1\"}"
                                                       : "{\"latitude\": 12.97, \"longitude\": 77.59}"));
    }
  feed (fixture, session, events);
  decision = last_decision (fixture, session);
  g_assert_cmpint (decision->decision, ==, VIGIL_DECISION_ALLOW);
  g_assert_cmpfloat (decision->risk, ==, 0);
  g_assert_cmpuint (decision->reasons->len, ==, 0);
  g_assert_cmpuint (pushes.mpin_required + pushes.blocked, ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM decisions"), ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM security_events"), ==, 0);
}

static void
test_history (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(VigilSession) first = start_session (fixture, NULL);
  g_autoptr(VigilSession) second = NULL;
  g_autoptr(VigilRiskDecision) decision = NULL;

  feed_types (fixture, first, "mpin_failed", "new_beneficiary", NULL);   /* 0.4, stored as monitor */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *path = NULL;
    Wait wait = { 0 };

    vigil_sessions_end_async (fixture->sessions, vigil_session_get_id (first), "logout", NULL, NULL, on_done, &wait);
    result = wait_result (&wait);
    path = vigil_sessions_end_finish (fixture->sessions, result, &error);
    g_assert_no_error (error);
  }

  /* Ended, then a day later: a quarter of 0.4 halved once, 0.05. */
  vigil_clock_advance (fixture->clock, G_GINT64_CONSTANT (24) * 3600 * G_USEC_PER_SEC);
  second = start_session (fixture, NULL);
  feed_types (fixture, second, "button_click", NULL);
  decision = last_decision (fixture, second);
  g_assert_true (has_reason (decision, "history"));
  g_assert_cmpfloat_with_epsilon (decision->risk, 0.05, 1e-9);
}

/* The ML surface's own sessions, not live here: analysed and stored, never
 * executed. */
static void
test_analyze_external (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(VigilRiskDecision) decision = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  g_assert_true (vigil_risk_start_session (fixture->risk, "remote-user", "remote-session", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (vigil_risk_start_session (fixture->risk, "someone-else", "remote-session", NULL, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_CONFLICT);
  g_clear_error (&error);

  g_ptr_array_add (events, make_event ("large_transaction", 0, "{\"amount\": 90000}"));
  vigil_risk_analyze_async (fixture->risk, "remote-user", "remote-session", events, NULL, on_done, &wait);
  result = wait_result (&wait);
  decision = vigil_risk_analyze_finish (fixture->risk, result, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (decision->risk, 0.35, 1e-9);
  g_assert_cmpint (decision->decision, ==, VIGIL_DECISION_ALLOW);
  g_assert_nonnull (decision->id);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM decisions WHERE session_id IS NULL"
                                       " AND user_id = 'remote-user'"), ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM security_events WHERE session_id = 'remote-session'"), ==, 1);

  g_assert_true (vigil_risk_end_session (fixture->risk, "remote-session", "completed", &error));
  g_assert_false (vigil_risk_end_session (fixture->risk, "remote-session", "completed", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND);
}

/* Persistent deviation (vigil-risk-behavior.c, vigil-cusum.h): a run of
 * one modality's foreign actions steps up on its own; foreign actions
 * scattered among ordinary ones (a genuine user has some) only monitor;
 * behaviour alone never blocks. */
static VigilDecision
touch_scores (RiskState     *state,
              VigilProfiles *profiles,
              double         score,
              guint          n)
{
  g_autoptr(VigilRiskDecision) decision = NULL;

  for (guint k = 0; k < n; k++)
    _vigil_risk_behavior_add_score (state, profiles, VIGIL_MODALITY_TOUCH, score);
  decision = _vigil_risk_state_evaluate (state, 0);
  return decision->decision;
}

static void
test_persistent_isolated (Fixture       *fixture,
                          gconstpointer  data)
{
  VigilProfiles *profiles = vigil_engine_get_profiles (fixture->engine);
  RiskState *state = _vigil_risk_state_new ("s-genuine", fixture->user_id, NULL, 0);

  /* 100 touches: two extreme ones in every five, the others typical. */
  for (guint w = 0; w < 20; w++)
    {
      g_assert_cmpint (touch_scores (state, profiles, 0.999, 2), <=, VIGIL_DECISION_MONITOR);
      g_assert_cmpint (touch_scores (state, profiles, 0.5, 3), <=, VIGIL_DECISION_MONITOR);
    }
  /* Three extreme ones in a row are not enough either. */
  g_assert_cmpint (touch_scores (state, profiles, 0.999, 3), <=, VIGIL_DECISION_MONITOR);
  g_assert_cmpint (touch_scores (state, profiles, 0.4, 5), <=, VIGIL_DECISION_MONITOR);
  _vigil_risk_state_free (state);
}

static void
test_persistent_takeover (Fixture       *fixture,
                          gconstpointer  data)
{
  VigilProfiles *profiles = vigil_engine_get_profiles (fixture->engine);
  RiskState *state = _vigil_risk_state_new ("s-taken", fixture->user_id, NULL, 0);
  g_autoptr(VigilRiskDecision) decision = NULL;
  const VigilRiskReason *reason;

  /* The owner first, then someone else on the same phone: the fourth of
   * their actions tips it, though the window of the last 20 is mostly the
   * owner's. */
  g_assert_cmpint (touch_scores (state, profiles, 0.4, 30), ==, VIGIL_DECISION_ALLOW);
  g_assert_cmpint (touch_scores (state, profiles, 0.999, 3), <=, VIGIL_DECISION_MONITOR);
  g_assert_cmpint (touch_scores (state, profiles, 0.999, 1), ==, VIGIL_DECISION_STEP_UP);
  decision = _vigil_risk_state_evaluate (state, 0);
  reason = g_ptr_array_index (decision->reasons, 0);
  g_assert_cmpstr (reason->code, ==, "behavior.touch");
  g_assert_cmpstr (reason->text, ==, "Touch pattern has differed from the user's over the last 4 actions");
  g_assert_cmpfloat (decision->risk, <, VIGIL_RISK_HIGH_THRESHOLD);

  /* More of it, and other modalities foreign too: still no block on
   * behaviour alone. */
  g_assert_cmpint (touch_scores (state, profiles, 0.999, 50), ==, VIGIL_DECISION_STEP_UP);
  for (guint k = 0; k < 60; k++)
    {
      _vigil_risk_behavior_add_score (state, profiles, VIGIL_MODALITY_SWIPE, 0.999);
      _vigil_risk_behavior_add_score (state, profiles, VIGIL_MODALITY_NAVIGATION, 0.999);
    }
  g_clear_pointer (&decision, vigil_risk_decision_free);
  decision = _vigil_risk_state_evaluate (state, 0);
  g_assert_cmpint (decision->decision, ==, VIGIL_DECISION_STEP_UP);
  g_assert_cmpfloat (decision->risk, <, VIGIL_RISK_HIGH_THRESHOLD);

  /* The owner back: the touch evidence is gone after a few actions. */
  g_assert_cmpint (touch_scores (state, profiles, 0.4, 30), <=, VIGIL_DECISION_STEP_UP);
  g_clear_pointer (&decision, vigil_risk_decision_free);
  decision = _vigil_risk_state_evaluate (state, 0);
  for (guint r = 0; r < decision->reasons->len; r++)
    {
      reason = g_ptr_array_index (decision->reasons, r);
      if (g_str_equal (reason->code, "behavior.touch"))
        g_assert_cmpfloat (reason->weight, <=, 0);
    }
  _vigil_risk_state_free (state);
}

/* Live behavior, end to end. A persona is a behavioural signature: how
 * hard and how long one taps, how fast one scrolls and swipes, one's
 * typing rhythm, how long one stays on each screen and which ways one
 * prefers through the app. Sessions walk the event-flow map as the seeds'
 * apps stream it. */
typedef struct
{
  guint64 seed;         /* route preferences and time per screen */
  double  pressure;
  double  size;
  double  tap_ms;
  double  scroll_speed; /* px/ms */
  double  hold_ms;
  double  flight_ms;
  double  gap_ms;       /* mean time between events */
} Persona;

static const Persona owner = { 11, 0.55, 0.30, 110, 1.2, 95, 140, 1400 };
static const Persona intruder = { 23, 0.80, 0.45, 180, 2.6, 140, 70, 700 };

typedef struct
{
  GHashTable *next;     /* map event → JsonArray of next events */
  GHashTable *screens;  /* map event → the screen it shows */
  JsonNode   *root;
  gint64      at_ms;    /* client time, from START */
  gboolean    canara;   /* canara's shapes (the sim's) instead of cbsa's */
  const char *screen;
} Walk;

static double
jitter (VigilRng *rng,
        double    value,
        double    spread)
{
  return value * exp (spread * vigil_rng_gaussian (rng));
}

/* A stable preference in [0, 1) of @persona for @text. */
static double
preference (const Persona *persona,
            const char    *text)
{
  VigilRng rng;

  vigil_rng_init (&rng, persona->seed * 1000003u + g_str_hash (text));
  return vigil_rng_double (&rng);
}

static const char *
next_event (Walk          *walk,
            VigilRng      *rng,
            const Persona *persona,
            const char    *from)
{
  JsonArray *next = g_hash_table_lookup (walk->next, from);
  double total = 0, pick;
  guint n = next ? json_array_get_length (next) : 0;

  if (n == 0)
    return "PAGE_ENTER_HOME";
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strconcat (from, ">", json_array_get_string_element (next, i), NULL);

      total += exp (4 * preference (persona, key));
    }
  pick = vigil_rng_double (rng) * total;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strconcat (from, ">", json_array_get_string_element (next, i), NULL);

      pick -= exp (4 * preference (persona, key));
      if (pick <= 0)
        return json_array_get_string_element (next, i);
    }
  return json_array_get_string_element (next, n - 1);
}

static void
add_walk_event (GPtrArray  *events,
                Walk       *walk,
                const char *type,
                const char *data)
{
  g_ptr_array_add (events, make_event (type, walk->at_ms, data));
}

/* @n keys typed at the persona's rhythm from the walk's time on, as
 * canara's typing_pattern members (keyEvents, keystroke_dynamics holds in
 * seconds, typing_speed); the walk's clock moves past them. */
static char *
canara_typing (Walk          *walk,
               VigilRng      *rng,
               const Persona *persona,
               guint          n)
{
  g_autoptr(GString) keys = g_string_new (NULL);
  g_autoptr(GString) holds = g_string_new (NULL);
  gint64 start = walk->at_ms;

  for (guint k = 0; k < n; k++)
    {
      double hold = jitter (rng, persona->hold_ms, 0.15);

      g_string_append_printf (keys, "%s{\"code\": \"Key%c\", \"downTime\": %" G_GINT64_FORMAT ", \"upTime\": %.1f}",
                              k ? ", " : "", 'A' + k % 26, walk->at_ms, walk->at_ms + hold);
      g_string_append_printf (holds, "%s%.3f", k ? ", " : "", hold / 1000);
      walk->at_ms += (gint64) (hold + jitter (rng, persona->flight_ms, 0.2));
    }
  return g_strdup_printf ("\"keyEvents\": [%s], \"keystroke_dynamics\": [%s], \"typing_speed\": %.1f", keys->str,
                          holds->str, n / 5.0 / MAX ((walk->at_ms - start) / 60000.0, 1e-6));
}

/* One map step as the seeds' apps (and the simulator) stream it:
 * {event_type: button_click | page_view | scroll | typing_pattern,
 *  data: {event_id, screen, ...}}. */
static void
add_canara_step (GPtrArray     *events,
                 Walk          *walk,
                 VigilRng      *rng,
                 const Persona *persona,
                 const char    *id)
{
  const char *screen = g_hash_table_lookup (walk->screens, id);
  g_autofree char *head = NULL;
  g_autofree char *data = NULL;
  const char *type;

  if (screen != NULL)
    walk->screen = screen;
  head = g_strdup_printf ("\"event_id\": \"%s\", \"screen\": \"%s\"", id, walk->screen ? walk->screen : "login");
  if (g_str_has_prefix (id, "PAGE_ENTER_"))
    {
      type = "page_view";
      data = g_strdup_printf ("{%s, \"page_name\": \"%s\"}", head, id);
    }
  else if (g_str_has_prefix (id, "SCROLL_"))
    {
      double distance = 300 + 500 * vigil_rng_double (rng), speed = jitter (rng, persona->scroll_speed, 0.12);

      type = "scroll";
      data = g_strdup_printf ("{%s, \"direction\": \"%s\", \"distance\": %.0f, \"velocity\": %.1f, \"duration\": %.1f}",
                              head, vigil_rng_double (rng) < 0.7 ? "down" : "up", distance, speed * 1000,
                              distance / speed);
    }
  else if (g_str_has_prefix (id, "KEYSTROKE_") || g_str_has_prefix (id, "TYPE_") || g_str_has_prefix (id, "PAY_RECIPIENT") ||
           g_str_has_prefix (id, "PAY_AMOUNT"))
    {
      gint64 at = walk->at_ms;   /* the event is stamped when typing starts */
      g_autofree char *typing = canara_typing (walk, rng, persona, 4);

      data = g_strdup_printf ("{%s, \"field\": \"search\", %s}", head, typing);
      g_ptr_array_add (events, make_event ("typing_pattern", at, data));
      return;
    }
  else
    {
      type = "button_click";
      data = g_strdup_printf ("{%s, \"button_id\": \"%s\", \"coordinates\": [%.0f, %.0f], \"pressure\": %.3f,"
                              " \"size\": %.3f, \"duration\": %.1f}", head, id, 40 + 300 * vigil_rng_double (rng),
                              100 + 600 * vigil_rng_double (rng), jitter (rng, persona->pressure, 0.08),
                              jitter (rng, persona->size, 0.08), jitter (rng, persona->tap_ms, 0.15));
    }
  add_walk_event (events, walk, type, data);
}

/* A horizontal swipe with its trajectory, canara-style. */
static char *
canara_swipe (Walk          *walk,
              VigilRng      *rng,
              const Persona *persona,
              const char    *id)
{
  double dx = 250 + 100 * vigil_rng_double (rng), speed = jitter (rng, persona->scroll_speed * 1.5, 0.12);
  double duration = dx / speed;
  g_autoptr(GString) trajectory = g_string_new (NULL);

  for (guint i = 0; i <= 8; i++)
    {
      double f = i / 8.0, eased = (1 - cos (G_PI * f)) / 2;

      g_string_append_printf (trajectory, "%s{\"x\": %.0f, \"y\": %.0f, \"t\": %.1f}", i ? ", " : "",
                              320 - dx * eased, 400 + 10 * sin (G_PI * f), f * duration);
    }
  return g_strdup_printf ("{\"event_id\": \"%s\", \"screen\": \"%s\", \"start_coordinates\": [320, 400],"
                          " \"end_coordinates\": [%.0f, 400], \"direction\": \"left\", \"velocity\": %.1f,"
                          " \"duration\": %.1f, \"pressure\": %.3f, \"trajectory\": [%s]}", id,
                          walk->screen ? walk->screen : "login", 320 - dx, speed * 1000, duration,
                          jitter (rng, persona->pressure, 0.08), trajectory->str);
}

/* One session of @steps map events, with swipes and bursts of typing. */
static GPtrArray *
walk_session (Walk          *walk,
              VigilRng      *rng,
              const Persona *persona,
              guint          steps)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  const char *current = "PAGE_ENTER_HOME";

  for (guint step = 0; step < steps; step++)
    {
      g_autofree char *data = NULL;

      if (walk->canara)
        {
          add_canara_step (events, walk, rng, persona, current);
          if (step % 6 == 5)
            {
              g_autofree char *swipe = canara_swipe (walk, rng, persona, current);

              walk->at_ms += (gint64) jitter (rng, persona->gap_ms / 2, 0.3);
              add_walk_event (events, walk, "swipe", swipe);
            }
          if (step % 20 == 19)
            {
              gint64 at = walk->at_ms;
              g_autofree char *typing = canara_typing (walk, rng, persona, 10);
              g_autofree char *text = g_strdup_printf ("{\"field\": \"amount\", %s}", typing);

              g_ptr_array_add (events, make_event ("typing_pattern", at, text));
            }
          walk->at_ms += (gint64) jitter (rng, persona->gap_ms * (0.5 + preference (persona, current)), 0.3);
          current = next_event (walk, rng, persona, current);
          continue;
        }

      if (g_str_has_prefix (current, "TOUCH_") || g_str_has_prefix (current, "PAY_BUTTON"))
        data = g_strdup_printf ("{\"coordinates\": [%.0f, %.0f], \"pressure\": %.3f, \"size\": %.3f,"
                                " \"duration\": %.1f}", 40 + 300 * vigil_rng_double (rng),
                                100 + 600 * vigil_rng_double (rng), jitter (rng, persona->pressure, 0.08),
                                jitter (rng, persona->size, 0.08), jitter (rng, persona->tap_ms, 0.15));
      else if (g_str_has_prefix (current, "SCROLL_"))
        {
          double dy = 300 + 500 * vigil_rng_double (rng);

          data = g_strdup_printf ("{\"delta_y\": %.0f, \"duration\": %.1f}", vigil_rng_double (rng) < 0.7 ? -dy : dy,
                                  dy / jitter (rng, persona->scroll_speed, 0.12));
        }
      add_walk_event (events, walk, current, data);

      /* Now and then a swipe between cards, and a burst of typing. */
      if (step % 6 == 5)
        {
          double dx = 250 + 100 * vigil_rng_double (rng);
          g_autofree char *swipe = g_strdup_printf ("{\"start\": [320, 400], \"end\": [%.0f, 410], \"duration\": %.1f,"
                                                    " \"pressure\": %.3f}", 320 - dx,
                                                    dx / jitter (rng, persona->scroll_speed * 1.5, 0.12),
                                                    jitter (rng, persona->pressure, 0.08));

          walk->at_ms += (gint64) jitter (rng, persona->gap_ms / 2, 0.3);
          add_walk_event (events, walk, "swipe", swipe);
        }
      if (step % 20 == 19)
        for (guint k = 0; k < 10; k++)
          {
            double hold = jitter (rng, persona->hold_ms, 0.15);
            g_autofree char *key = g_strdup_printf ("{\"key\": \"%c\", \"down_time\": %" G_GINT64_FORMAT ","
                                                    " \"up_time\": %.1f}", 'a' + k, walk->at_ms,
                                                    walk->at_ms + hold);

            add_walk_event (events, walk, "keystroke", key);
            walk->at_ms += (gint64) (hold + jitter (rng, persona->flight_ms, 0.2));
          }

      /* Time on this screen: the persona's pace, per screen its own. */
      walk->at_ms += (gint64) jitter (rng, persona->gap_ms * (0.5 + preference (persona, current)), 0.3);
      current = next_event (walk, rng, persona, current);
    }
  return events;
}

static void
walk_init (Walk    *walk,
           Fixture *fixture)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "event-flow-map.json", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(VigilNavigationMap) map = NULL;
  g_autoptr(GError) error = NULL;
  JsonObjectIter groups;
  JsonNode *group;
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  map = vigil_navigation_map_new_from_data (contents, (gssize) length, &error);
  g_assert_no_error (error);
  vigil_profiles_set_event_flow_map (vigil_engine_get_profiles (fixture->engine), map);

  walk->root = json_from_string (contents, &error);
  g_assert_no_error (error);
  walk->next = g_hash_table_new (g_str_hash, g_str_equal);
  walk->screens = g_hash_table_new (g_str_hash, g_str_equal);
  json_object_iter_init (&groups, json_object_get_object_member (json_node_get_object (walk->root), "eventFlowMap"));
  while (json_object_iter_next (&groups, NULL, &group))
    {
      JsonObjectIter iter;
      const char *id;
      JsonNode *event;

      json_object_iter_init (&iter, json_node_get_object (group));
      while (json_object_iter_next (&iter, &id, &event))
        {
          JsonObject *object = json_node_get_object (event);
          const char *screen = json_object_get_string_member_with_default (object, "screen", NULL);

          g_hash_table_insert (walk->next, (gpointer) id, json_object_get_array_member (object, "nextEvents"));
          if (screen == NULL)
            screen = json_object_get_string_member_with_default (object, "navigatesTo", NULL);
          if (screen != NULL)
            g_hash_table_insert (walk->screens, (gpointer) id, (gpointer) screen);
        }
    }
  walk->at_ms = 0;
}

static void
risk_reason_free (gpointer data)
{
  VigilRiskReason *reason = data;

  g_free (reason->code);
  g_free (reason->text);
  g_free (reason);
}

/* The session's latest stored decision, read back from the store (a
 * blocked session's risk state is gone). */
static VigilRiskDecision *
stored_decision (Fixture    *fixture,
                 const char *session_id)
{
  VigilDb *db = vigil_store_get_reader (vigil_engine_get_store (fixture->engine));
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reasons = NULL;
  VigilRiskDecision *decision = g_new0 (VigilRiskDecision, 1);
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT risk, decision, reasons FROM decisions WHERE session_id = ?"
                                             " ORDER BY at DESC, rowid DESC LIMIT 1", &error);

  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  decision->session_id = g_strdup (session_id);
  decision->risk = sqlite3_column_double (stmt, 0);
  for (VigilDecision d = VIGIL_DECISION_ALLOW; d <= VIGIL_DECISION_BLOCK; d++)
    if (g_str_equal ((const char *) sqlite3_column_text (stmt, 1), vigil_decision_to_string (d)))
      decision->decision = d;
  decision->model_scored = TRUE;
  decision->reasons = g_ptr_array_new_with_free_func (g_free);
  reasons = json_from_string ((const char *) sqlite3_column_text (stmt, 2), &error);
  sqlite3_reset (stmt);
  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (reasons)); i++)
    {
      JsonObject *reason = json_array_get_object_element (json_node_get_array (reasons), i);
      VigilRiskReason *copy = g_new0 (VigilRiskReason, 1);

      copy->code = g_strdup (json_object_get_string_member (reason, "code"));
      copy->text = g_strdup (json_object_get_string_member (reason, "text"));
      g_ptr_array_add (decision->reasons, copy);
    }
  g_ptr_array_set_free_func (decision->reasons, risk_reason_free);
  return decision;
}

/* Streams one session in batches; answers its last decision and, in
 * @out_peak (nullable), the highest risk it had after any batch. */
static VigilRiskDecision *
stream_session (Fixture       *fixture,
                Walk          *walk,
                VigilRng      *rng,
                const Persona *persona,
                Pushes        *pushes,
                double        *out_peak)
{
  g_autoptr(VigilSession) session = start_session (fixture, pushes);
  g_autoptr(GPtrArray) events = walk_session (walk, rng, persona, 120);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  VigilRiskDecision *decision;
  Wait wait = { 0 };

  /* A blocked session takes no more events. */
  for (guint i = 0; i < events->len && vigil_session_get_state (session) != VIGIL_SESSION_BLOCKED; i += 40)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);

      for (guint j = i; j < MIN (i + 40, events->len); j++)
        g_ptr_array_add (batch, vigil_event_ref (g_ptr_array_index (events, j)));
      feed (fixture, session, batch);
      if (out_peak != NULL)
        *out_peak = MAX (*out_peak, vigil_risk_get_session_risk (fixture->risk, vigil_session_get_id (session)));
    }
  if (vigil_session_get_state (session) == VIGIL_SESSION_BLOCKED)
    return stored_decision (fixture, vigil_session_get_id (session));
  decision = last_decision (fixture, session);
  if (vigil_session_get_state (session) != VIGIL_SESSION_BLOCKED)
    {
      vigil_sessions_end_async (fixture->sessions, vigil_session_get_id (session), "logout", NULL, NULL, on_done,
                                &wait);
      result = wait_result (&wait);
      path = vigil_sessions_end_finish (fixture->sessions, result, &error);
      g_assert_no_error (error);
    }
  walk->at_ms += 3600 * 1000;
  return decision;
}

static gboolean
all_trained (Fixture *fixture)
{
  static const VigilModality live[] = {
    VIGIL_MODALITY_TOUCH, VIGIL_MODALITY_SWIPE, VIGIL_MODALITY_KEYSTROKE, VIGIL_MODALITY_NAVIGATION,
  };

  for (guint i = 0; i < G_N_ELEMENTS (live); i++)
    if (!vigil_profiles_has_model (vigil_engine_get_profiles (fixture->engine), fixture->user_id, live[i]))
      return FALSE;
  return TRUE;
}

/* The owner's streamed sessions train touch, swipe, keystroke and
 * navigation models; other people on the same account (right
 * credentials, same device) are stepped up, with the modalities that gave
 * them away as reasons; further sessions of the owner are not. */
#define LIVE_SESSIONS 5
static void
test_live_takeover (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree VigilProfileProgress *progress = NULL;
  g_autoptr(GError) error = NULL;
  double genuine_risk = 0, genuine_max = 0, genuine_peak = 0, impostor_risk = 0, impostor_min = 1;
  guint genuine_step_ups = 0, impostor_step_ups = 0, impostor_blocks = 0;
  Walk walk = { 0 };
  VigilRng rng;
  gint64 deadline;

  walk_init (&walk, fixture);
  walk.canara = GPOINTER_TO_INT (data);
  vigil_rng_init (&rng, 7);

  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(VigilRiskDecision) enrolling = stream_session (fixture, &walk, &rng, &owner, NULL, NULL);

      g_test_message ("enrollment session %u: risk %.3f, %s", i + 1, enrolling->risk,
                      vigil_decision_to_string (enrolling->decision));
    }
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!all_trained (fixture) && g_get_monotonic_time () < deadline)
    {
      vigil_test_drain_main_context ();
      g_usleep (10000);
    }
  g_assert_true (all_trained (fixture));
  progress = vigil_profiles_get_progress (vigil_engine_get_profiles (fixture->engine), fixture->user_id, &error);
  g_assert_no_error (error);
  g_test_message ("enrolled: %u taps, %u swipes/scrolls, %u keystroke windows, %u navigation windows",
                  progress->vectors[VIGIL_MODALITY_TOUCH], progress->vectors[VIGIL_MODALITY_SWIPE],
                  progress->vectors[VIGIL_MODALITY_KEYSTROKE], progress->vectors[VIGIL_MODALITY_NAVIGATION]);
  /* maxidom's own readiness is untouched by live models. */
  g_assert_false (progress->ready);

  /* Further sessions of the owner first (an intruder's risk would pass
   * on to the next session through history), then other people. */
  for (guint i = 0; i < LIVE_SESSIONS; i++)
    {
      Pushes pushes = { 0 };
      g_autoptr(VigilRiskDecision) decision = stream_session (fixture, &walk, &rng, &owner, &pushes, &genuine_peak);

      g_assert_true (decision->model_scored);
      genuine_risk += decision->risk / LIVE_SESSIONS;
      genuine_max = MAX (genuine_max, decision->risk);
      genuine_step_ups += pushes.mpin_required > 0 || decision->decision >= VIGIL_DECISION_STEP_UP;
      g_assert_cmpuint (pushes.blocked, ==, 0);
    }
  for (guint i = 0; i < LIVE_SESSIONS; i++)
    {
      Pushes pushes = { 0 };
      Persona other = intruder;
      g_autoptr(VigilRiskDecision) decision = NULL;
      guint behavior_reasons = 0;

      /* A week apart: one intruder's risk does not carry over to the next
       * through history. */
      vigil_clock_advance (fixture->clock, G_GINT64_CONSTANT (7) * 24 * 3600 * G_USEC_PER_SEC);
      other.seed += i;
      other.pressure = jitter (&rng, intruder.pressure, 0.1);
      other.hold_ms = jitter (&rng, intruder.hold_ms, 0.1);
      decision = stream_session (fixture, &walk, &rng, &other, &pushes, NULL);
      impostor_risk += decision->risk / LIVE_SESSIONS;
      impostor_min = MIN (impostor_min, decision->risk);
      impostor_step_ups += pushes.mpin_required > 0 && pushes.blocked == 0;
      impostor_blocks += pushes.blocked > 0;
      g_free (pushes.block_reason);
      for (guint r = 0; r < decision->reasons->len; r++)
        behavior_reasons += g_str_has_prefix (((VigilRiskReason *) g_ptr_array_index (decision->reasons, r))->code,
                                              "behavior.");
      g_assert_cmpuint (behavior_reasons, >=, 2);
      if (i == 0)
        for (guint r = 0; r < decision->reasons->len; r++)
          g_test_message ("  impostor reason: %s", ((VigilRiskReason *) g_ptr_array_index (decision->reasons, r))->text);
    }
  g_test_message ("%u genuine sessions: final risk mean %.3f, highest %.3f, highest at any moment %.3f,"
                  " %u stepped up; %u impostor sessions: final risk mean %.3f, lowest %.3f, %u stepped up,"
                  " %u blocked", LIVE_SESSIONS, genuine_risk, genuine_max, genuine_peak, genuine_step_ups,
                  LIVE_SESSIONS, impostor_risk, impostor_min, impostor_step_ups, impostor_blocks);
  g_assert_cmpuint (genuine_step_ups, ==, 0);
  /* Behaviour alone steps up; a block needs more (here the canara rule
   * on hurried page switches can add it). */
  g_assert_cmpuint (impostor_step_ups + impostor_blocks, ==, LIVE_SESSIONS);
  g_assert_cmpfloat (impostor_min, >=, VIGIL_RISK_SUSPICIOUS_THRESHOLD);
  g_assert_cmpfloat (genuine_max, <, VIGIL_RISK_MONITOR_THRESHOLD);
  g_assert_cmpfloat (genuine_peak, <, VIGIL_RISK_SUSPICIOUS_THRESHOLD);

  g_hash_table_unref (walk.next);
  g_hash_table_unref (walk.screens);
  json_node_unref (walk.root);
}

/* Before any model, and on malformed or missing fields, the live
 * modalities abstain: no behavioral reason, no model score, nothing made
 * up; the events are stored all the same and enrollment only takes what
 * was measured. */
static void
test_live_abstains (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(VigilSession) session = start_session (fixture, NULL);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(VigilRiskDecision) decision = NULL;
  static const struct { const char *type; const char *data; } shapes[] = {
    { "button_click", "{\"button_id\": \"transfer_btn\", \"coordinates\": [150, 200]}" },
    { "button_click", "{\"pressure\": \"hard\", \"coordinates\": \"middle\"}" },
    { "TOUCH_TAB_SAVE", "{\"pressure\": [0.5]}" },
    { "scroll", "{\"delta_y\": {\"a\": 1}}" },
    { "swipe", "{\"points\": [{\"x\": 1}]}" },
    { "typing_pattern", "{\"keystroke_dynamics\": \"fast\"}" },
    { "page_view", "{\"screen\": 42}" },
    { "mouse_movement", "{\"mousePaths\": [[{\"t\": \"now\"}]]}" },
    { "touch", "{\"pressure\": 0.6, \"size\": 0.2, \"duration\": 100}" },
  };

  for (guint i = 0; i < 40; i++)
    g_ptr_array_add (events, make_event (shapes[i % G_N_ELEMENTS (shapes)].type, 1000 * i + g_test_rand_int_range (0, 700),
                                         shapes[i % G_N_ELEMENTS (shapes)].data));
  feed (fixture, session, events);
  decision = last_decision (fixture, session);
  g_assert_false (decision->model_scored);
  for (guint i = 0; i < decision->reasons->len; i++)
    g_assert_false (g_str_has_prefix (((VigilRiskReason *) g_ptr_array_index (decision->reasons, i))->code,
                                      "behavior."));
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM events"), ==, 40);
  /* Only the measured touch (4 or 5 of the 40 events) enrolled. */
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM profile_vectors WHERE modality = 'touch'"), ==,
                   40 / G_N_ELEMENTS (shapes));
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM profile_vectors WHERE modality != 'touch'"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/risk/decide", test_decide);
#define ADD(path, func) g_test_add ("/risk/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("rules-add-and-clamp", test_rules_add_and_clamp);
  ADD ("page-switches", test_page_switches);
  ADD ("device-drift", test_device_drift);
  ADD ("impossible-travel", test_impossible_travel);
  ADD ("bot-timing", test_bot_timing);
  ADD ("bot-replay", test_bot_replay);
  ADD ("new-device-far", test_new_device_far);
  ADD ("step-up-at-0.7", test_step_up_at_0_7);
  ADD ("block-at-0.9", test_block_at_0_9);
  ADD ("block-confidence-exactly-0.8", test_block_confidence_exactly_0_8);
  ADD ("benign-session", test_benign_session);
  ADD ("history", test_history);
  ADD ("analyze-external", test_analyze_external);
#undef ADD
  g_test_add ("/risk/live-takeover/cbsa-events", Fixture, GINT_TO_POINTER (FALSE), fixture_set_up, test_live_takeover,
              fixture_tear_down);
  g_test_add ("/risk/live-takeover/canara-events", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up,
              test_live_takeover, fixture_tear_down);
#define ADD(path, func) g_test_add ("/risk/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("live-abstains", test_live_abstains);
  ADD ("persistent-deviation/isolated", test_persistent_isolated);
  ADD ("persistent-deviation/takeover", test_persistent_takeover);
#undef ADD

  return g_test_run ();
}
