/* ms-media-util-private.h: GStreamer helpers shared by local and remote tracks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Tags a GstLevel element so that ms_media_level_target() finds @target
 * (held weakly) from its messages. */
void      ms_media_level_set_target    (GstElement *level,
                                        GObject    *target);
/* The object a "level" element message is for (a new reference), and the
 * loudest channel's RMS as a linear amplitude from 0 to 1. */
GObject  *ms_media_level_target        (GstMessage *message,
                                        double     *out_level);

/* Stops @element for good and takes it out of @bin. */
void      ms_media_discard_element     (GstBin     *bin,
                                        GstElement *element);
/* The same for a bin that feeds webrtcbin, without waiting on the
 * calling thread: its sources stop at once, it leaves @bin at once, and
 * the rest stops on a worker thread (webrtcbin may hold its streaming
 * thread until DTLS is up, which needs the main loop to go on). */
void      ms_media_discard_sender      (GstBin     *bin,
                                        GstElement *element);
/* Between two buffers on @src: unlinks @old and takes it out of @bin, then
 * puts @replacement in its place. Call from an IDLE probe on @src. */
void      ms_media_replace_sink        (GstPad     *src,
                                        GstBin     *bin,
                                        GstElement *old,
                                        GstElement *replacement);

/* Waits up to @timeout_us for every sender given to
 * ms_media_discard_sender() to have stopped and been let go; FALSE if
 * some still had not. */
gboolean  ms_media_wait_stopped        (gint64      timeout_us);

/* Gives a request sink pad back to the audiomixer @mixer, now if it is
 * not running, otherwise from its own streaming thread right after it
 * pushed its next buffer. Holds its own reference to @pad. */
void      ms_media_release_mixer_pad   (GstElement *mixer,
                                        GstPad     *pad);

/* Tags a sound server stream (pulsesink, pipewiresink, their sources, or
 * an auto* bin making one) as a call: media.role=phone, so that the sound
 * server routes and ducks it like one. */
void      ms_media_tag_as_call         (GstElement *element);

G_END_DECLS
