#pragma once
// What a UDP listener lost: the kernel counts the datagrams it dropped for a socket whose receive
// buffer was full, and hands the running count with every datagram read by recvmsg once
// SO_RXQ_OVFL is on (the StatsD and syslog listeners report it).
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <optional>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

namespace chatops::ingestion {

// Room for the count in a recvmsg's control buffer.
inline constexpr std::size_t kDropCountControl = CMSG_SPACE(sizeof(std::uint32_t));

inline void enable_drop_count(int udp_socket) {
  const int one = 1;
  ::setsockopt(udp_socket, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
}

// The socket's running count of dropped datagrams, from a message recvmsg filled in.
inline std::optional<std::uint32_t> dropped_datagrams(msghdr& msg) {
  for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
      std::uint32_t dropped = 0;
      std::memcpy(&dropped, CMSG_DATA(c), sizeof dropped);
      return dropped;
    }
  return std::nullopt;
}

}  // namespace chatops::ingestion
