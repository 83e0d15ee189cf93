#pragma once
// Bytes a TCP socket has received so far (Linux TCP_INFO), whatever reads them: how an API request
// bounds what a server sends, head included. Apart from the HTTP client because <linux/tcp.h>,
// which has the counter, clashes with <netinet/tcp.h>, which httplib includes.
#include <cstdint>
#include <optional>

namespace chatops::ingestion::api {

// nullopt when `socket` is not a TCP socket (or the kernel does not count).
std::optional<std::uint64_t> bytes_received(int socket);

}  // namespace chatops::ingestion::api
