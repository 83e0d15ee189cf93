#include "bot/irc/sts.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace chatops::irc {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

template <class Int>
std::optional<Int> number(std::string_view text) {
  Int value{};
  const auto* end = text.data() + text.size();
  if (text.empty() || std::from_chars(text.data(), end, value).ptr != end) return std::nullopt;
  return value;
}

// Calls fn(key, value) for each "key[=value]" of a comma-separated list.
template <class Fn>
void each_key(std::string_view list, Fn fn) {
  std::size_t pos = 0;
  while (pos <= list.size()) {
    const auto end = std::min(list.find(',', pos), list.size());
    const auto token = list.substr(pos, end - pos);
    const auto eq = token.find('=');
    fn(token.substr(0, eq), eq == std::string_view::npos ? std::string_view() : token.substr(eq + 1));
    pos = end + 1;
  }
}

}  // namespace

std::string encode(const StsPolicy& policy) {
  const auto expires = std::chrono::duration_cast<std::chrono::seconds>(policy.expires.time_since_epoch()).count();
  return fmt::format("port={},duration={},expires={}", policy.port, policy.duration.count(), expires);
}

std::optional<StsPolicy> decode_sts_policy(std::string_view text) {
  std::optional<std::uint16_t> port;
  std::optional<std::int64_t> duration, expires;
  each_key(text, [&](std::string_view key, std::string_view value) {
    if (key == "port") port = number<std::uint16_t>(value);
    if (key == "duration") duration = number<std::int64_t>(value);
    if (key == "expires") expires = number<std::int64_t>(value);
  });
  if (!port || *port == 0 || !duration || !expires) return std::nullopt;
  return StsPolicy{*port, std::chrono::seconds(*duration), WallClock::time_point(std::chrono::seconds(*expires))};
}

StsValue parse_sts_value(std::string_view value) {
  StsValue out;
  each_key(value, [&](std::string_view key, std::string_view v) {
    if (key == "port") {
      if (auto port = number<std::uint16_t>(v); port && *port != 0) out.port = port;
    } else if (key == "duration") {
      if (auto seconds = number<std::uint64_t>(v))
        out.duration = std::chrono::seconds(std::min<std::uint64_t>(*seconds, StsPolicies::kMaxDuration.count()));
    }
  });
  return out;
}

Result<std::optional<StsPolicy>> MemoryStsPolicyStore::load(std::string_view host) {
  const auto it = policies_.find(host);
  if (it == policies_.end()) return std::optional<StsPolicy>();
  return std::optional<StsPolicy>(it->second);
}

Result<void> MemoryStsPolicyStore::save(std::string_view host, const StsPolicy& policy) {
  policies_.insert_or_assign(std::string(host), policy);
  return {};
}

Result<void> MemoryStsPolicyStore::remove(std::string_view host) {
  if (const auto it = policies_.find(host); it != policies_.end()) policies_.erase(it);
  return {};
}

ServerConfig StsPolicies::route(const ServerConfig& configured, WallClock::time_point now) {
  const auto policy = find(lower(configured.host));
  if (!policy || policy->expires <= now) return configured;
  return ServerConfig{configured.host, policy->port, true};
}

std::optional<std::uint16_t> StsPolicies::offered(const ServerConfig& connected, std::string_view value, bool verified,
                                                  WallClock::time_point now) {
  const auto sts = parse_sts_value(value);
  const auto host = lower(connected.host);
  if (!connected.tls) return sts.port;  // a duration on a plain connection means nothing
  if (!sts.duration) return std::nullopt;  // a port on a TLS connection is ignored
  if (!verified) {
    spdlog::warn("irc: STS: not keeping the policy of {}: its certificate is not verified (tls_verify: false)", host);
    return std::nullopt;
  }
  if (*sts.duration == std::chrono::seconds::zero()) {
    spdlog::info("irc: STS: {} removes its policy (duration=0)", host);
    known_[host] = std::nullopt;
    if (auto removed = store_.remove(host); !removed)
      spdlog::error("irc: STS: cannot remove the policy of {}: {}", host, removed.error().message);
    return std::nullopt;
  }
  const StsPolicy policy{connected.port, *sts.duration, now + *sts.duration};
  const auto before = find(host);
  if (!before || before->port != policy.port || before->duration != policy.duration)
    spdlog::info("irc: STS: {} is reached only with TLS on port {} for {} s", host, policy.port, policy.duration.count());
  save(host, policy);
  return std::nullopt;
}

void StsPolicies::closed(const ServerConfig& connected, WallClock::time_point now) {
  if (!connected.tls) return;
  const auto host = lower(connected.host);
  // Even expired during a long connection: the server had the policy when we were connected.
  auto policy = find(host);
  if (!policy || policy->port != connected.port) return;
  policy->expires = now + policy->duration;
  save(host, *policy);
}

std::optional<StsPolicy> StsPolicies::find(const std::string& host) {
  auto it = known_.find(host);
  if (it == known_.end()) {
    auto loaded = store_.load(host);
    if (!loaded) spdlog::error("irc: STS: cannot read the policy of {}: {}", host, loaded.error().message);
    it = known_.emplace(host, loaded ? *loaded : std::nullopt).first;
  }
  return it->second;
}

void StsPolicies::save(const std::string& host, const StsPolicy& policy) {
  known_[host] = policy;
  if (auto saved = store_.save(host, policy); !saved)
    spdlog::error("irc: STS: cannot store the policy of {}: {}", host, saved.error().message);
}

}  // namespace chatops::irc
