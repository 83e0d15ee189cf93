#include "bindings/users.hpp"

#include <nlohmann/json.hpp>

#include "bindings/mask.hpp"

namespace chatops::bindings {

FlagSet User::flags_on(std::string_view channel, text::CaseMapping mapping) const {
  if (channel.empty()) return {};
  for (const auto& [name, flags] : channel_flags)
    if (text::equal_folded(name, channel, mapping)) return flags;
  return {};
}

void UserList::add(User user) {
  user.global_flags = user.global_flags.with_implied();
  for (auto& [channel, flags] : user.channel_flags) flags = flags.with_implied();
  users_.push_back(std::move(user));
}

const User* UserList::find(const IrcIdentity& who, text::CaseMapping mapping) const {
  const bool logged_in = !who.account.empty() && who.account != "*" && who.account != "0";
  if (logged_in)
    for (const auto& user : users_)
      if (!user.account.empty() && text::equal_folded(user.account, who.account, mapping)) return &user;
  std::string hostmask;
  hostmask.append(who.nick).append("!").append(who.user).append("@").append(who.host);
  const auto rules = hostmask_rules(mapping);
  for (const auto& user : users_)
    for (const auto& mask : user.hostmasks)
      if (mask_matches(mask, hostmask, rules)) return &user;
  return nullptr;
}

const User* UserList::by_handle(std::string_view handle, text::CaseMapping mapping) const {
  for (const auto& user : users_)
    if (text::equal_folded(user.handle, handle, mapping)) return &user;
  return nullptr;
}

bool UserList::remove(std::string_view handle, text::CaseMapping mapping) {
  return std::erase_if(users_, [&](const User& u) { return text::equal_folded(u.handle, handle, mapping); }) > 0;
}

std::string user_to_json(const User& user) {
  nlohmann::json channels = nlohmann::json::object();
  for (const auto& [channel, flags] : user.channel_flags) channels[channel] = flags.str() == "-" ? "" : flags.str();
  const auto global = user.global_flags.str();
  return nlohmann::json{{"handle", user.handle},       {"hostmasks", user.hostmasks},
                        {"account", user.account},     {"flags", global == "-" ? "" : global},
                        {"channels", channels},        {"added_by", user.added_by}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<User> user_from_json(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("a stored user is not a JSON object");
  try {
    User user;
    user.handle = j.at("handle").get<std::string>();
    user.hostmasks = j.at("hostmasks").get<std::vector<std::string>>();
    user.account = j.at("account").get<std::string>();
    user.added_by = j.at("added_by").get<std::string>();
    auto global = FlagSet::parse(j.at("flags").get<std::string>());
    if (!global) return std::unexpected(global.error());
    user.global_flags = *global;
    for (const auto& [channel, letters] : j.at("channels").items()) {
      auto flags = FlagSet::parse(letters.get<std::string>());
      if (!flags) return std::unexpected(flags.error());
      user.channel_flags.emplace_back(channel, *flags);
    }
    if (user.handle.empty()) return fail("a stored user has no handle");
    return user;
  } catch (const nlohmann::json::exception& e) {
    return fail(std::string("a stored user is malformed: ") + e.what());
  }
}

Result<UserList> UserList::from(const config::Node& users) {
  UserList list;
  if (!users.defined()) return list;
  for (const auto& item : users.items()) {
    User user;
    user.handle = item.str("handle");
    user.hostmasks = item.strings("hostmasks");
    user.account = item.str("account");
    auto global = FlagSet::parse(item.str("flags"));
    if (!global) return std::unexpected(item["flags"].error(global.error().message));
    user.global_flags = *global;
    const auto channels = item.map("channels");
    for (const auto& channel : channels.keys()) {
      auto flags = FlagSet::parse(channels[channel].scalar());
      if (!flags) return std::unexpected(channels[channel].error(flags.error().message));
      user.channel_flags.emplace_back(channel, *flags);
    }
    if (list.by_handle(user.handle, text::CaseMapping::Ascii))
      return std::unexpected(item["handle"].error("duplicate handle \"" + user.handle + "\""));
    list.add(std::move(user));
  }
  return list;
}

config::Schema user_schema() {
  config::Schema s("user", "A known user: recognised by services account or hostmask, and given flags.");
  s.field("handle", config::Kind::String, "The user's name in the bot (shown to handlers).").required();
  s.field("hostmasks", config::Kind::List, "nick!user@host masks (`*`, `?`), case-insensitive.")
      .items(config::Kind::String)
      .fallback("[]")
      .example("[\"*!alice@example.org\"]");
  s.field("account", config::Kind::String, "IRC services account (account-tag, extended-join); trusted before hostmasks.")
      .fallback("\"\"");
  s.field("flags", config::Kind::String, "Global flags, letters (n owner, m master, o op…; n implies m implies o).")
      .fallback("\"\"")
      .example("n");
  s.field("channels", config::Kind::Map, "Per-channel flags: channel name to letters.")
      .fallback("{}")
      .example("{\"#ops\": o}");
  return s;
}

}  // namespace chatops::bindings
