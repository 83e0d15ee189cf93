#pragma once
// Connecting with libnats, around a flaw of Debian 12's libnats 3.4: it leaves the nonce's
// signature out of CONNECT when its first byte is zero (fixed upstream in nats.c #705), so the
// server refuses a valid NKey or credentials once in 256 connections. Another connection gets
// another nonce; a wrong key is still refused, every time. Shared by the NATS source and the test
// harness's client.
#include <nats/nats.h>

namespace chatops::ingestion::stream {

// natsConnection_Connect, tried up to 4 times while authentication fails, when the connection
// signs a nonce (an NKey or a credentials file).
inline natsStatus connect_nats(natsConnection** connection, natsOptions* options, bool signs_nonce) {
  constexpr int kSignedAttempts = 4;
  for (int attempt = 1;; ++attempt) {
    const natsStatus s = natsConnection_Connect(connection, options);
    if (s != NATS_CONNECTION_AUTH_FAILED || !signs_nonce || attempt == kSignedAttempts) return s;
  }
}

}  // namespace chatops::ingestion::stream
