#pragma once
// The kinds of bind, as in Eggdrop's `bind <type> <flags> <mask> <proc>`, plus the ingestion kinds.
#include <array>
#include <optional>
#include <string_view>

namespace chatops::bindings {

enum class BindType {
  // IRC
  Pub, Pubm, Msg, Msgm, Join, Part, Kick, Nick, Mode, Raw,
  // clock
  Time, Cron,
  // ingestion (IngestionEvent::kind)
  Webhook, Api, File, Db, Stream, Log, Metric,
};

inline constexpr std::size_t kBindTypeCount = static_cast<std::size_t>(BindType::Metric) + 1;

std::string_view to_string(BindType t);
std::optional<BindType> parse_bind_type(std::string_view name);  // "pub", "webhook", …
const std::array<std::string_view, kBindTypeCount>& bind_type_names();

// pub and msg binds are exclusive per mask (binding again replaces); every other type stacks.
constexpr bool is_exclusive(BindType t) { return t == BindType::Pub || t == BindType::Msg; }
// Masks of these types match under the server's casemapping and the Eggdrop wildcards.
constexpr bool is_irc(BindType t) { return t <= BindType::Raw; }
constexpr bool is_ingestion(BindType t) { return t >= BindType::Webhook; }
// Whether events of this family reach binds (else dispatching them would silently do nothing).
bool is_ingestion_family(std::string_view family);
// Whether a bind of this type checks the user's flags (Eggdrop ignores them for time binds;
// ingestion events have no user).
constexpr bool checks_flags(BindType t) { return is_irc(t); }

}  // namespace chatops::bindings
