#include "bindings/bind_table.hpp"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

#include "bindings/mask.hpp"

namespace chatops::bindings {
namespace {

// pub/msg masks are a command word, compared whole against the message's first word.
bool is_command_word(BindType type) { return type == BindType::Pub || type == BindType::Msg; }

std::string_view first_word(std::string_view text) { return text.substr(0, text.find(' ')); }

}  // namespace

std::string BindTable::key_of(BindType type, std::string_view mask) const {
  return exact_key(mask, mask_rules(type, index_mapping_));
}

Result<BindId> BindTable::bind(BindType type, std::string flags, std::string mask, Handler handler, Origin origin) {
  auto parsed_flags = FlagMask::parse(flags);
  if (!parsed_flags) return std::unexpected(parsed_flags.error());
  Entry entry{type, std::move(flags), *parsed_flags, std::move(mask), false, std::nullopt,
              std::make_shared<const Handler>(std::move(handler)), std::move(origin)};
  if (type == BindType::Cron) {
    auto spec = CronSpec::parse(entry.mask);
    if (!spec) return std::unexpected(spec.error());
    entry.cron = *spec;
  } else {
    entry.exact = is_command_word(type) || !has_wildcards(entry.mask, mask_rules(type, index_mapping_));
  }

  const BindId id = next_id_++;
  auto& index = index_[static_cast<std::size_t>(type)];
  if (entry.exact) {
    auto& bucket = index.exact[key_of(type, entry.mask)];
    if (is_exclusive(type)) {
      for (const BindId replaced : bucket) entries_.erase(replaced);
      bucket.clear();
    }
    bucket.push_back(id);
  } else {
    index.wildcard.push_back(id);
  }
  entries_.emplace(id, std::move(entry));
  return id;
}

void BindTable::remove(BindId id) {
  const auto found = entries_.find(id);
  if (found == entries_.end()) return;
  auto& index = index_[static_cast<std::size_t>(found->second.type)];
  if (found->second.exact) {
    const auto bucket = index.exact.find(key_of(found->second.type, found->second.mask));
    if (bucket != index.exact.end()) {
      std::erase(bucket->second, id);
      if (bucket->second.empty()) index.exact.erase(bucket);
    }
  } else {
    std::erase(index.wildcard, id);
  }
  entries_.erase(found);
}

bool BindTable::unbind(BindId id) {
  if (!entries_.contains(id)) return false;
  remove(id);
  return true;
}

std::size_t BindTable::unbind(BindType type, std::string_view flags, std::string_view mask) {
  const auto wanted_flags = FlagMask::parse(flags);
  if (!wanted_flags) return 0;
  const auto wanted_key = key_of(type, mask);
  std::vector<BindId> doomed;
  for (const auto& [id, entry] : entries_)
    if (entry.type == type && entry.flags == *wanted_flags && key_of(type, entry.mask) == wanted_key)
      doomed.push_back(id);
  for (const BindId id : doomed) remove(id);
  return doomed.size();
}

void BindTable::use_casemapping(text::CaseMapping mapping) {
  if (mapping == index_mapping_) return;
  // The server announced another casemapping (ISUPPORT): fold the IRC types' keys anew.
  index_mapping_ = mapping;
  for (std::size_t t = 0; t < kBindTypeCount; ++t) {
    if (!is_irc(static_cast<BindType>(t))) continue;
    auto& exact = index_[t].exact;
    std::unordered_map<std::string, std::vector<BindId>> refolded;
    for (auto& [key, ids] : exact)
      for (const BindId id : ids) refolded[key_of(static_cast<BindType>(t), entries_.at(id).mask)].push_back(id);
    for (auto& [key, ids] : refolded) std::sort(ids.begin(), ids.end());
    exact = std::move(refolded);
  }
}

bool BindTable::matches(const Entry& entry, std::string_view text, const BindContext& context,
                        text::CaseMapping mapping) const {
  if (entry.cron) return context.tick() && entry.cron->matches(context.tick()->local);
  return mask_matches(entry.mask, text, mask_rules(entry.type, mapping));
}

bool BindTable::allowed(const Entry& entry, const BindContext& context, text::CaseMapping mapping) const {
  if (!checks_flags(entry.type) || entry.flags.anyone()) return true;
  const auto* irc = context.irc();
  if (!irc || !irc->known_user) return false;
  return entry.flags.matches(irc->known_user->global_flags, irc->known_user->flags_on(irc->channel, mapping));
}

std::size_t BindTable::dispatch(BindType type, std::string_view match_text, const BindContext& context,
                                text::CaseMapping mapping) {
  if (is_irc(type)) use_casemapping(mapping);
  const auto& index = index_[static_cast<std::size_t>(type)];
  const auto text = is_command_word(type) ? first_word(match_text) : match_text;

  // Both lists are in declaration order; merging them keeps it across exact and wildcard binds.
  std::vector<BindId> exact_hits;
  if (const auto bucket = index.exact.find(key_of(type, text)); bucket != index.exact.end())
    exact_hits = bucket->second;
  std::vector<BindId> wildcard_hits;
  for (const BindId id : index.wildcard)
    if (matches(entries_.at(id), text, context, mapping)) wildcard_hits.push_back(id);
  std::vector<BindId> candidates;
  candidates.reserve(exact_hits.size() + wildcard_hits.size());
  std::merge(exact_hits.begin(), exact_hits.end(), wildcard_hits.begin(), wildcard_hits.end(),
             std::back_inserter(candidates));

  std::size_t triggered = 0;
  for (const BindId id : candidates) {
    const auto found = entries_.find(id);  // an earlier handler may have unbound it
    if (found == entries_.end()) continue;
    if (!allowed(found->second, context, mapping)) {
      if (on_refused && is_exclusive(type)) on_refused(id, context);
      continue;
    }
    const auto handler = found->second.handler;
    auto result = BindResult::Continue;
    try {
      result = (*handler)(context);
    } catch (const std::exception& e) {
      // A failing handler must not take the dispatcher (and the bot) down with it.
      spdlog::error("bind {} #{} (matching \"{}\"): handler failed: {}", to_string(type), id, text, e.what());
      if (on_handler_failure) {
        const auto still_bound = entries_.find(id);  // the handler may have unbound itself
        on_handler_failure(still_bound != entries_.end() ? still_bound->second.origin : Origin{"an unbound bind"},
                           e.what());
      }
    }
    if (result == BindResult::Skip) continue;
    ++triggered;
    if (const auto still_bound = entries_.find(id); still_bound != entries_.end()) ++still_bound->second.hits;
    if (result == BindResult::Stop) break;
  }
  return triggered;
}

std::size_t BindTable::dispatch(const ingestion::IngestionEvent& event) {
  const auto type = parse_bind_type(event.family);
  if (!type || !is_ingestion(*type)) return 0;
  return dispatch(*type, event.topic, BindContext(event), index_mapping_);
}

std::size_t BindTable::dispatch_minute(const std::tm& local, nlohmann::json summary) {
  const BindContext context(ClockTick{local, std::move(summary)});
  return dispatch(BindType::Time, eggdrop_time_text(local), context, index_mapping_) +
         dispatch(BindType::Cron, "", context, index_mapping_);
}

bool BindTable::has_clock_binds() const {
  for (const auto type : {BindType::Time, BindType::Cron}) {
    const auto& index = index_[static_cast<std::size_t>(type)];
    if (!index.exact.empty() || !index.wildcard.empty()) return true;
  }
  return false;
}

std::vector<BindInfo> BindTable::binds() const {
  std::vector<BindInfo> out;
  out.reserve(entries_.size());
  for (const auto& [id, entry] : entries_)
    out.push_back({id, entry.type, entry.flags_text, entry.mask, entry.hits, entry.origin.where});
  std::sort(out.begin(), out.end(), [](const BindInfo& a, const BindInfo& b) { return a.id < b.id; });
  return out;
}

}  // namespace chatops::bindings
