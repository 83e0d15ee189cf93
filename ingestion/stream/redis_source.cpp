#include "ingestion/stream/redis_source.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "ingestion/payload/json.hpp"
#include "ingestion/stream/stream_kind.hpp"

namespace chatops::ingestion::stream {

namespace {


void free_reply(redisReply* r) { freeReplyObject(r); }

timeval to_timeval(std::chrono::milliseconds d) {
  return {static_cast<time_t>(d.count() / 1000), static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

std::string_view view(const redisReply& r) { return r.str ? std::string_view(r.str, r.len) : std::string_view(); }

std::string text(const redisReply& r) { return std::string(view(r)); }

// An entry's fields ([field, value, …]) as the text of one JSON object, written as nlohmann::json
// would dump the object built from them (names sorted, the last of a repeated name), without
// building it. nullopt when a name or value is not UTF-8.
std::optional<std::string> entry_object(const redisReply& pairs) {
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  fields.reserve(pairs.elements / 2);
  std::size_t size = 2;
  for (std::size_t f = 0; f + 1 < pairs.elements; f += 2) {
    const auto name = view(*pairs.element[f]), value = view(*pairs.element[f + 1]);
    if (!simdjson::validate_utf8(name.data(), name.size()) || !simdjson::validate_utf8(value.data(), value.size()))
      return std::nullopt;
    fields.emplace_back(name, value);
    size += name.size() + value.size() + 6;
  }
  std::ranges::stable_sort(fields, {}, &std::pair<std::string_view, std::string_view>::first);
  std::string out;
  out.reserve(size + simdjson::SIMDJSON_PADDING);  // parsed in place
  out += '{';
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i + 1 < fields.size() && fields[i + 1].first == fields[i].first) continue;  // a later one wins
    if (out.size() > 1) out += ',';
    payload::append_json_string(out, fields[i].first);
    out += ':';
    payload::append_json_string(out, fields[i].second);
  }
  out += '}';
  return out;
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// Error replies that retrying with the same configuration cannot mend.
bool permanent(const std::string& error) {
  return starts_with(error, "NOAUTH") || starts_with(error, "WRONGPASS") || starts_with(error, "NOPERM") ||
         starts_with(error, "ERR unknown command") || starts_with(error, "WRONGTYPE") ||
         starts_with(error, "ERR AUTH") || starts_with(error, "ERR invalid password") ||
         starts_with(error, "ERR DB index");
}

}  // namespace

RedisSource::RedisSource(StreamOptions stream, RedisOptions options, payload::Mapping mapping)
    : StreamSource(stream), o_(std::move(options)), mapping_(std::move(mapping)) {}

RedisSource::~RedisSource() { stop(); }

SourceResult<RedisSource::Reply> RedisSource::command(const std::vector<std::string>& args, const std::string& what) {
  if (auto read = read_unread(false); !read) return std::unexpected(read.error());
  send(args);
  return checked(next_command_reply(what), what);
}

SourceResult<> RedisSource::read_unread(bool through_read_ahead) {
  while (!unread_.empty() && !(through_read_ahead && read_ahead_)) {
    const auto sent = unread_.front();
    auto reply = next_command_reply(sent == Sent::Ack ? "XACK" : "XREADGROUP");
    if (!reply) return std::unexpected(reply.error());
    unread_.pop_front();
    if (sent == Sent::ReadAhead) read_ahead_ = std::move(*reply);
    else if (auto acked = checked(std::move(*reply), "XACK"); !acked) return std::unexpected(acked.error());
  }
  return {};
}

void RedisSource::flush() {
  // A failed write leaves context_->err set, which the next read reports.
  for (int written = 0; !written;)
    if (redisBufferWrite(context_, &written) != REDIS_OK) break;
}

void RedisSource::send(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  // Only buffered; a failure (out of memory) leaves context_->err set, which the next read reports.
  redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data());
}

SourceResult<RedisSource::Reply> RedisSource::next_command_reply(const std::string& what) {
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || !raw)
    return std::unexpected(SourceError::transient(what + ": " + (context_->err ? context_->errstr : "no reply")));
  return Reply(static_cast<redisReply*>(raw), free_reply);
}

SourceResult<RedisSource::Reply> RedisSource::checked(SourceResult<Reply> reply, const std::string& what) {
  if (reply && (*reply)->type == REDIS_REPLY_ERROR) {
    const auto error = text(**reply);
    return std::unexpected(permanent(error) ? SourceError::configuration(what + ": " + error)
                                            : SourceError::transient(what + ": " + error));
  }
  return reply;
}

SourceResult<> RedisSource::connect() {
  unreadable_ = runtime().metrics().counter("chatops_redis_unreadable_total",
                                            "Redis stream entries skipped (acknowledged without an event), by cause.",
                                            {"cause"});
  claimed_ = runtime().metrics().counter("chatops_redis_claimed_total",
                                         "Redis stream entries taken over from a consumer that left them pending.");
  const std::string where = o_.host + ":" + std::to_string(o_.port);
  context_ = redisConnectWithTimeout(o_.host.c_str(), o_.port, to_timeval(o_.timeout));
  if (!context_ || context_->err) {
    const std::string why = context_ ? context_->errstr : "out of memory";
    disconnect();
    return std::unexpected(SourceError::transient("cannot connect to Redis at " + where + ": " + why));
  }
  // A blocking read waits at most receive_wait: the socket waits that and the timeout.
  redisSetTimeout(context_, to_timeval(o_.timeout + std::chrono::seconds(1)));
  auto fail = [&](SourceError e) {
    disconnect();
    return std::unexpected(std::move(e));
  };
  if (o_.password) {
    std::vector<std::string> auth{"AUTH"};
    if (o_.user) auth.push_back(*o_.user);
    auth.push_back(*o_.password);
    if (auto r = command(auth, "AUTH at " + where); !r) return fail(r.error());
  }
  if (o_.database != 0)
    if (auto r = command({"SELECT", std::to_string(o_.database)}, "SELECT"); !r) return fail(r.error());
  if (pubsub()) {
    if (auto r = subscribe(); !r) return fail(r.error());
    return {};
  }
  for (const auto& s : o_.streams)
    if (auto r = command({"XGROUP", "CREATE", s, o_.group, o_.from_beginning ? "0" : "$", "MKSTREAM"},
                         "XGROUP CREATE " + s);
        !r && r.error().message.find("BUSYGROUP") == std::string::npos)
      return fail(r.error());
  history_ = true;
  history_after_.clear();
  next_claim_ = std::chrono::steady_clock::now();
  return {};
}

void RedisSource::disconnect() {
  early_.clear();
  // The last XACKs' replies are waited for: closing with replies unread could reset the connection
  // before Redis has read the commands.
  if (context_ && !context_->err) (void)read_unread(false);
  unread_.clear();
  read_ahead_.reset();
  if (context_) redisFree(context_);
  context_ = nullptr;
}

SourceResult<> RedisSource::claim(Received& batch, Taken& taken) {
  for (const auto& s : o_.streams) {
    auto r = command({"XAUTOCLAIM", s, o_.group, o_.consumer, std::to_string(o_.claim_idle.count()), "0-0", "COUNT",
                      std::to_string(o_.batch_size)},
                     "XAUTOCLAIM " + s);
    if (!r) return std::unexpected(r.error());
    if ((*r)->type != REDIS_REPLY_ARRAY || (*r)->elements < 2 || (*r)->element[1]->type != REDIS_REPLY_ARRAY) continue;
    const auto& entries = *(*r)->element[1];
    if (entries.elements > 0) {
      claimed_.inc({}, static_cast<double>(entries.elements));
      spdlog::info("source {}: took over {} entries of {} pending for more than {} ms", runtime().name(),
                   entries.elements, s, o_.claim_idle.count());
    }
    take(s, entries, batch, taken);
  }
  return {};
}

SourceResult<Received> RedisSource::receive(std::chrono::steady_clock::time_point deadline) {
  if (pubsub()) return receive_published(deadline);
  Received batch;
  Taken taken;
  const auto now = std::chrono::steady_clock::now();
  if (!history_ && now >= next_claim_) {
    next_claim_ = now + std::max<std::chrono::milliseconds>(std::chrono::seconds(1), o_.claim_idle / 2);
    if (auto claimed = claim(batch, taken); !claimed) return std::unexpected(claimed.error());
  }
  if (taken.empty()) {
    auto r = read_ahead_sent() ? read_ahead()
                               : command(read_args(history_ ? std::nullopt : std::optional(deadline)), "XREADGROUP");
    if (!r) return std::unexpected(r.error());
    const auto per_stream = [&](auto&& each) {
      if ((*r)->type == REDIS_REPLY_ARRAY)
        for (std::size_t i = 0; i < (*r)->elements; ++i)
          if (const auto& p = *(*r)->element[i]; p.type == REDIS_REPLY_ARRAY && p.elements == 2) each(p);
    };
    // A full batch of new entries: more are likely there, and Redis reads them while these are mapped.
    std::size_t entries = 0;
    per_stream([&](const redisReply& p) { entries += p.element[1]->elements; });
    if (!history_ && entries >= o_.batch_size) send_read_ahead();
    per_stream([&](const redisReply& p) { take(text(*p.element[0]), *p.element[1], batch, taken); });
    // This consumer's own pending entries are read first, until none is left.
    if (history_) {
      for (const auto& [stream, ids] : taken) history_after_[stream] = ids.back();
      history_ = !taken.empty();
    }
  }
  // XACKed once the batch is committed (or, with only unreadable entries, after the batches before it).
  if (!taken.empty()) batch.upstream = std::move(taken);
  return batch;
}

std::vector<std::string> RedisSource::read_args(std::optional<std::chrono::steady_clock::time_point> block_until) const {
  std::vector<std::string> args{"XREADGROUP", "GROUP", o_.group, o_.consumer, "COUNT", std::to_string(o_.batch_size)};
  if (block_until) {
    // BLOCK 0 would wait for ever.
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(*block_until - std::chrono::steady_clock::now()).count();
    args.insert(args.end(), {"BLOCK", std::to_string(std::max<long>(1, wait))});
  }
  args.push_back("STREAMS");
  args.insert(args.end(), o_.streams.begin(), o_.streams.end());
  for (const auto& stream : o_.streams) {
    const auto after = history_after_.find(stream);
    args.push_back(!history_ ? ">" : after == history_after_.end() ? "0" : after->second);
  }
  return args;
}

void RedisSource::send_read_ahead() {
  send(read_args(std::nullopt));
  unread_.push_back(Sent::ReadAhead);
  flush();  // for Redis to work on it meanwhile
}

bool RedisSource::read_ahead_sent() const {
  return read_ahead_ || std::ranges::find(unread_, Sent::ReadAhead) != unread_.end();
}

SourceResult<RedisSource::Reply> RedisSource::read_ahead() {
  if (auto read = read_unread(true); !read) return std::unexpected(read.error());
  auto reply = std::move(*read_ahead_);
  read_ahead_.reset();
  return checked(std::move(reply), "XREADGROUP");
}

void RedisSource::take(const std::string& stream, const redisReply& entries, Received& batch, Taken& taken) {
  auto& ids = taken[stream];
  const std::string fallback_topic = "redis/" + stream;
  // The envelope's text, {"stream":…,"id":…}, written rather than built as a tree per entry.
  std::string envelope_start = "{\"stream\":";
  payload::append_json_string(envelope_start, stream);
  envelope_start += ",\"id\":";
  payload::EnvelopeField envelope{"redis", nullptr, {}};
  for (std::size_t i = 0; i < entries.elements; ++i) {
    const auto& entry = *entries.element[i];
    if (entry.type != REDIS_REPLY_ARRAY || entry.elements != 2) continue;
    const std::string id = text(*entry.element[0]);
    ids.push_back(id);
    const std::string position = stream + "/" + id;
    auto event = [&]() -> std::expected<IngestionEvent, Unreadable> {
      const auto& pairs = *entry.element[1];
      if (pairs.type != REDIS_REPLY_ARRAY || pairs.elements % 2)
        return std::unexpected(Unreadable{"deleted", "deleted while pending"});
      // Made with json_field too: it is also the check that every name and value is UTF-8.
      auto object = entry_object(pairs);
      if (!object) return std::unexpected(Unreadable{"not_utf8", "a field that is not UTF-8 text"});
      std::optional<std::string> document;
      if (o_.json_field)
        for (std::size_t f = 0; f + 1 < pairs.elements; f += 2)
          if (view(*pairs.element[f]) == *o_.json_field) document = text(*pairs.element[f + 1]);
      if (o_.json_field && !document)
        return std::unexpected(Unreadable{"missing_field", "no field " + *o_.json_field});
      std::string item = document ? std::move(*document) : std::move(*object);
      if (item.size() > o_.max_message_size)
        return std::unexpected(Unreadable{"too_large", std::to_string(item.size()) + " bytes, over max_message_size"});
      auto doc = payload::parse_json(item);
      if (!doc) return std::unexpected(Unreadable{"not_json", "not JSON: " + doc.error()});
      envelope.text = envelope_start;
      payload::append_json_string(envelope.text, id);
      envelope.text += '}';
      auto e = mapping_.map(doc->root(), {}, fallback_topic, &envelope, payload::FieldsForm::Text, item);
      if (!e) return std::unexpected(Unreadable{e.error().cause, e.error().reason});
      auto& mapped = *e;
      if (mapped.dedupe_key.empty()) mapped.dedupe_key = position;
      mapped.raw = std::move(item);
      if (mapped.default_template.empty())
        mapped.default_template = "[{{_event.source}}] {{_event.topic}} {{redis.id}}";
      return std::move(mapped);
    }();
    if (event) batch.events.push_back(std::move(*event));
    else skip_unreadable(runtime(), unreadable_, position, event.error().cause, event.error().reason);
  }
  if (ids.empty()) taken.erase(stream);  // a stream with nothing taken has no id to acknowledge or resume after
}

SourceResult<> RedisSource::subscribe() {
  auto send_verb = [&](const char* verb, const std::vector<std::string>& names) {
    std::vector<std::string> args{verb};
    args.insert(args.end(), names.begin(), names.end());
    send(args);
  };
  if (!o_.channels.empty()) send_verb("SUBSCRIBE", o_.channels);
  if (!o_.patterns.empty()) send_verb("PSUBSCRIBE", o_.patterns);
  // One confirmation per channel and pattern; messages may come between them.
  early_.clear();
  for (std::size_t confirmations = o_.channels.size() + o_.patterns.size(); confirmations > 0;) {
    auto reply = checked(next_command_reply("SUBSCRIBE"), "SUBSCRIBE");
    if (!reply) return std::unexpected(reply.error());
    const auto& r = **reply;
    const auto kind = r.type == REDIS_REPLY_ARRAY && r.elements > 0 ? text(*r.element[0]) : "";
    if (kind == "subscribe" || kind == "psubscribe") --confirmations;
    else early_.push_back(std::move(*reply));
  }
  return {};
}

SourceResult<RedisSource::Reply> RedisSource::next_reply(std::chrono::milliseconds wait) {
  auto lost = [&] { return std::unexpected(SourceError::transient(std::string("Redis: ") + context_->errstr)); };
  void* raw = nullptr;
  if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) return lost();
  if (!raw) {
    pollfd readable{context_->fd, POLLIN, 0};
    const int ready = ::poll(&readable, 1, static_cast<int>(std::max<long>(0, wait.count())));
    if (ready < 0 && errno != EINTR)
      return std::unexpected(SourceError::transient(std::string("Redis: ") + std::strerror(errno)));
    if (ready <= 0) return Reply(nullptr, free_reply);
    if (redisBufferRead(context_) != REDIS_OK || redisGetReplyFromReader(context_, &raw) != REDIS_OK) return lost();
  }
  Reply reply(static_cast<redisReply*>(raw), free_reply);
  if (reply && reply->type == REDIS_REPLY_ERROR) {
    const auto error = text(*reply);
    return std::unexpected(permanent(error) ? SourceError::configuration(error) : SourceError::transient(error));
  }
  return reply;
}

SourceResult<Received> RedisSource::receive_published(std::chrono::steady_clock::time_point deadline) {
  Received batch;
  std::size_t taken = 0;
  for (; !early_.empty() && taken < o_.batch_size; ++taken, early_.pop_front()) take_published(*early_.front(), batch);
  while (taken < o_.batch_size) {
    // Wait for the first message; then take what is already there.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto reply = next_reply(taken ? std::chrono::milliseconds(0) : left);
    if (!reply) return std::unexpected(reply.error());
    if (!*reply) break;
    take_published(**reply, batch);
    ++taken;
  }
  return batch;
}

void RedisSource::take_published(const redisReply& reply, Received& batch) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements < 3) return;
  const auto kind = text(*reply.element[0]);
  std::optional<std::string> pattern;
  std::string channel, payload;
  if (kind == "message" && reply.elements == 3) {
    channel = text(*reply.element[1]);
    payload = text(*reply.element[2]);
  } else if (kind == "pmessage" && reply.elements == 4) {
    pattern = text(*reply.element[1]);
    channel = text(*reply.element[2]);
    payload = text(*reply.element[3]);
  } else {
    return;  // a subscription's confirmation
  }
  auto event = [&]() -> std::expected<IngestionEvent, Unreadable> {
    if (!simdjson::validate_utf8(channel.data(), channel.size()) ||
        (pattern && !simdjson::validate_utf8(pattern->data(), pattern->size())))
      return std::unexpected(Unreadable{"not_utf8", "a channel name that is not UTF-8 text"});
    auto item_text = payload_item(payload, o_.json, o_.max_message_size);
    if (!item_text) return std::unexpected(item_text.error());
    std::string item = std::move(*item_text);
    auto doc = payload::parse_json(item);
    if (!doc) return std::unexpected(Unreadable{"not_json", "not JSON: " + doc.error()});
    const payload::EnvelopeField envelope{
        "redis", {{"channel", channel}, {"pattern", pattern ? nlohmann::json(*pattern) : nlohmann::json(nullptr)}}};
    auto e = mapping_.map(doc->root(), {}, "redis/" + channel, &envelope, payload::FieldsForm::Text, item);
    if (!e) return std::unexpected(Unreadable{e.error().cause, e.error().reason});
    auto& mapped = *e;
    if (o_.json) mapped.raw = std::move(item);
    if (mapped.default_template.empty())
      mapped.default_template = o_.json ? "[{{_event.source}}] {{_event.topic}}" : "[{{_event.source}}] {{text}}";
    return std::move(mapped);
  }();
  if (event) batch.events.push_back(std::move(*event));
  else skip_unreadable(runtime(), unreadable_, "on channel " + channel, event.error().cause, event.error().reason);
}

SourceResult<> RedisSource::acknowledge(const Received& batch) {
  const auto* taken = std::any_cast<Taken>(&batch.upstream);
  if (!taken) return {};
  // Sent without waiting for the replies, which are read before the next command's (an error
  // then ends the connection): a lost XACK leaves its entries pending, read again after the
  // reconnection, and duplicates of what the journal has.
  for (const auto& [stream, ids] : *taken) {
    std::vector<std::string> args{"XACK", stream, o_.group};
    args.insert(args.end(), ids.begin(), ids.end());
    send(args);
    unread_.push_back(Sent::Ack);
  }
  flush();
  return {};
}

Result<std::unique_ptr<IngestionSource>> make_redis_source(const config::Node& v) {
  auto mapping = payload::Mapping::from_config(v, kRedisMappingKeys);
  if (!mapping) return std::unexpected(mapping.error());
  RedisOptions o;
  o.host = v.str("host");
  o.port = static_cast<int>(v.integer("port"));
  if (v.has("user")) o.user = v.str("user");
  if (v.has("password")) o.password = v.str("password");
  o.database = v.integer("database");
  if (v.has("streams")) o.streams = v.strings("streams");
  if (v.has("channels")) o.channels = v.strings("channels");
  if (v.has("patterns")) o.patterns = v.strings("patterns");
  o.json = v.str("format") == "json";
  o.group = v.has("group") ? v.str("group") : "chatops-" + v.str("name");
  o.consumer = v.has("consumer") ? v.str("consumer") : "chatops-" + v.str("name");
  o.from_beginning = v.str("start") == "earliest";
  if (v.has("json_field")) o.json_field = v.str("json_field");
  o.batch_size = static_cast<std::size_t>(v.integer("batch_size"));
  o.max_message_size = v.size("max_message_size");
  o.claim_idle = v.duration("claim_idle");
  o.timeout = v.duration("timeout");
  return std::make_unique<RedisSource>(stream_options(v), std::move(o), std::move(*mapping));
}

}  // namespace chatops::ingestion::stream

// chatops-redis.so's one entry point.
extern "C" const chatops::ingestion::stream::SystemModule* chatops_module_redis() {
  static const chatops::ingestion::stream::SystemModule module{chatops::ingestion::stream::make_redis_source};
  return &module;
}
