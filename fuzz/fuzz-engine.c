/* fuzz-engine.c: what the engine reads of a datagram before any crypto
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The RFC 7983 classifier, the RTP header and payload (padding), RTX
 * unwrapping and the VP8 keyframe test the router does, RTCP compound and
 * DTLS record checks, and STUN validation through libnice's StunAgent as the worker
 * does it (short-term credentials, FINGERPRINT) with a validater that
 * knows one ufrag.
 */

#include "config.h"

#include <string.h>
#include <stun/stunagent.h>

#include "fuzz.h"
#include "ms-engine.h"

static bool
validate (StunAgent    *agent,
          StunMessage  *message,
          uint8_t      *username,
          uint16_t      username_len,
          uint8_t     **password,
          size_t       *password_len,
          void         *user_data)
{
  static char pwd[] = "fuzzpasswordfuzzpassword";

  if (username_len < 5 || memcmp (username, "fuzz:", 5) != 0)
    return FALSE;
  *password = (uint8_t *) pwd;
  *password_len = strlen (pwd);
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static const uint16_t known[] = {
    STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY, STUN_ATTRIBUTE_FINGERPRINT,
    STUN_ATTRIBUTE_PRIORITY, STUN_ATTRIBUTE_USE_CANDIDATE, STUN_ATTRIBUTE_ICE_CONTROLLED,
    STUN_ATTRIBUTE_ICE_CONTROLLING, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, 0,
  };
  g_autofree guint8 *copy = g_memdup2 (data, size);
  StunAgent agent;
  StunMessage msg;
  guint8 pt;
  guint32 ssrc;
  gsize header_len;

  switch (ms_engine_classify (copy, size)) {
  case MS_ENGINE_PACKET_STUN:
    if (stun_message_validate_buffer_length (copy, size, TRUE) == (int) size) {
      stun_agent_init (&agent, known, STUN_COMPATIBILITY_RFC5389,
                       STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
      stun_agent_validate (&agent, &msg, copy, size, validate, NULL);
    }
    break;
  case MS_ENGINE_PACKET_DTLS:
    ms_engine_dtls_check (copy, size);
    break;
  case MS_ENGINE_PACKET_RTP:
    if (ms_engine_rtp_parse (copy, size, &pt, &ssrc, &header_len)) {
      gsize payload_len, len = size;

      g_assert (header_len <= size);
      if (ms_engine_rtp_payload (copy, size, header_len, &payload_len)) {
        g_assert (header_len + payload_len <= size);
        ms_engine_vp8_keyframe_start (copy + header_len, payload_len);
        /* The router's RTX path: unwrapped, then read as the original. */
        if (ms_engine_rtx_unwrap (copy, &len, header_len, 96, 0x1234)) {
          g_assert (len == size - 2);
          if (ms_engine_rtp_payload (copy, len, header_len, &payload_len))
            ms_engine_vp8_keyframe_start (copy + header_len, payload_len);
        }
      }
    }
    break;
  case MS_ENGINE_PACKET_RTCP:
    ms_engine_rtcp_check (copy, size, 0);
    ms_engine_rtcp_check (copy, size, 14);
    break;
  case MS_ENGINE_PACKET_UNKNOWN:
  default:
    break;
  }
  return 0;
}
