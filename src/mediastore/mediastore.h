/* mediastore.h: the libmediastore umbrella header
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ms-enums.h"
#include "ms-local-track.h"
#include "ms-peer.h"
#include "ms-protocol.h"
#include "ms-remote-track.h"
#include "ms-session.h"
#include "ms-store.h"
#include "ms-track-info.h"
