#include "ingestion/stream/nats_source.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "ingestion/payload/json.hpp"
#include "ingestion/stream/nats_connect.hpp"
#include "ingestion/stream/stream_kind.hpp"

namespace chatops::ingestion::stream {

namespace {

// Core NATS: most bytes of messages waiting for the journal (besides max_pending messages).
constexpr std::size_t kMaxQueuedBytes = 64 * 1024 * 1024;

std::int64_t nanoseconds(std::chrono::milliseconds d) { return std::chrono::nanoseconds(d).count(); }

// libnats' text for the last error of this thread (it names the server's reason: "Authorization
// Violation", "stream not found"), else the status's.
std::string last_error(natsStatus s) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  return text && *text ? text : natsStatus_GetText(s);
}

void on_message(natsConnection*, natsSubscription*, natsMsg* message, void* closure) {
  static_cast<NatsSource*>(closure)->delivered(message);
}

void on_complete(void* closure) { static_cast<NatsSource*>(closure)->subscription_done(); }

// Asynchronous errors (a subscription the server refuses, a slow consumer) are logged: the
// permission ones also end up as a failed subscription flush in connect().
void on_error(natsConnection*, natsSubscription*, natsStatus err, void*) { spdlog::warn("nats: {}", last_error(err)); }

std::string header_value(natsMsg* m, const char* name) {
  const char* value = nullptr;
  return natsMsgHeader_Get(m, name, &value) == NATS_OK && value ? value : "";
}

}  // namespace

struct NatsSource::Taken {
  std::vector<natsMsg*> messages;
  Taken() = default;
  Taken(const Taken&) = delete;
  Taken& operator=(const Taken&) = delete;
  ~Taken() {
    for (auto* m : messages) natsMsg_Destroy(m);
  }
};

NatsSource::NatsSource(StreamOptions stream, NatsOptions options, payload::Mapping mapping)
    : StreamSource(stream), o_(std::move(options)), mapping_(std::move(mapping)) {}

NatsSource::~NatsSource() { stop(); }

SourceError NatsSource::failure(int status, const std::string& what, int js_code) const {
  const auto s = static_cast<natsStatus>(status);
  std::string message = what + ": " + last_error(s);
  switch (s) {
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_NOT_PERMITTED:
    case NATS_SECURE_CONNECTION_WANTED:
    case NATS_SECURE_CONNECTION_REQUIRED:
    case NATS_SSL_ERROR:
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_INVALID_QUEUE_NAME:
      return SourceError::configuration(message);
    case NATS_NO_RESPONDERS:  // nothing answers the JetStream API
      return SourceError::configuration(message + " (is JetStream enabled on the server?)");
    default:
      break;
  }
  switch (js_code) {
    case JSStreamNotFoundErr:
    case JSNotEnabledErr:
    case JSNotEnabledForAccountErr:
    case JSConsumerNotFoundErr:
      return SourceError::configuration(message);
    default:
      return SourceError::transient(message);
  }
}

SourceResult<> NatsSource::connect() {
  unreadable_ = runtime().metrics().counter(
      "chatops_nats_unreadable_total", "NATS messages skipped (acknowledged without an event), by cause.", {"cause"});
  dropped_ = runtime().metrics().counter(
      "chatops_nats_dropped_total",
      "Core NATS messages dropped because max_pending (or 64 MiB) were waiting for the journal.");
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return std::unexpected(SourceError::transient("nats: out of memory"));
  std::vector<const char*> servers;
  for (const auto& s : o_.servers) servers.push_back(s.c_str());
  natsStatus s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  const auto timeout = o_.timeout.count();
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, timeout);
  if (s == NATS_OK) s = natsOptions_SetName(opts, ("chatops-bot " + runtime().name()).c_str());
  // The stream base reconnects (with its backoff, and Retrying while it does).
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, on_error, this);
  if (s == NATS_OK && o_.token) s = natsOptions_SetToken(opts, o_.token->c_str());
  if (s == NATS_OK && (o_.user || o_.password))
    s = natsOptions_SetUserInfo(opts, o_.user ? o_.user->c_str() : nullptr,
                                o_.password ? o_.password->c_str() : nullptr);
  if (s == NATS_OK && o_.nkey) s = natsOptions_SetNKeyFromSeed(opts, o_.nkey->c_str(), o_.nkey_seed_file->c_str());
  if (s == NATS_OK && o_.credentials_file)
    s = natsOptions_SetUserCredentialsFromFiles(opts, o_.credentials_file->c_str(), nullptr);
  if (s == NATS_OK && o_.tls) s = natsOptions_SetSecure(opts, true);
  // libnats checks the certificate's host name only when told which to expect.
  if (s == NATS_OK && o_.tls && !o_.tls_hostname.empty())
    s = natsOptions_SetExpectedHostname(opts, o_.tls_hostname.c_str());
  if (s == NATS_OK && o_.ca_file) s = natsOptions_LoadCATrustedCertificates(opts, o_.ca_file->c_str());
  if (s == NATS_OK && o_.cert_file)
    s = natsOptions_LoadCertificatesChain(opts, o_.cert_file->c_str(), o_.key_file->c_str());
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return std::unexpected(SourceError::configuration("nats options: " + last_error(s)));
  }
  s = connect_nats(&connection_, opts, o_.nkey || o_.credentials_file);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    connection_ = nullptr;
    return std::unexpected(failure(s, "cannot connect to NATS"));
  }
  auto opened = o_.stream ? open_consumer() : subscribe_core();
  if (!opened) disconnect();
  return opened;
}

SourceResult<> NatsSource::open_consumer() {
  jsErrCode code = static_cast<jsErrCode>(0);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = o_.timeout.count();
  if (auto s = natsConnection_JetStream(&js_, connection_, &jo); s != NATS_OK)
    return std::unexpected(failure(s, "JetStream"));
  const char* stream = o_.stream->c_str();
  jsStreamInfo* stream_info = nullptr;
  if (auto s = js_GetStreamInfo(&stream_info, js_, stream, nullptr, &code); s != NATS_OK)
    return std::unexpected(failure(s, "JetStream stream " + *o_.stream, code));
  jsStreamInfo_Destroy(stream_info);
  // A consumer made here is durable; one that exists (made by the bot before, or by an operator
  // with other settings) is used as it is.
  jsConsumerInfo* info = nullptr;
  auto s = js_GetConsumerInfo(&info, js_, stream, o_.consumer.c_str(), nullptr, &code);
  if (s == NATS_NOT_FOUND) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = o_.consumer.c_str();
    cc.AckPolicy = js_AckExplicit;
    cc.DeliverPolicy = o_.from_beginning ? js_DeliverAll : js_DeliverNew;
    cc.AckWait = nanoseconds(o_.ack_wait);
    // A whole batch can be out unacknowledged (the server's default allows 1,000).
    cc.MaxAckPending = static_cast<std::int64_t>(std::max<std::size_t>(1000, o_.batch_size));
    if (!o_.subjects.empty()) cc.FilterSubject = o_.subjects.front().c_str();
    code = static_cast<jsErrCode>(0);
    s = js_AddConsumer(&info, js_, stream, &cc, nullptr, &code);
    if (s == NATS_OK)
      spdlog::info("source {}: made the JetStream consumer {} on {}", runtime().name(), o_.consumer, *o_.stream);
  }
  if (s != NATS_OK) return std::unexpected(failure(s, "JetStream consumer " + o_.consumer, code));
  const bool push = info->Config && info->Config->DeliverSubject && *info->Config->DeliverSubject;
  jsConsumerInfo_Destroy(info);
  if (push)
    return std::unexpected(SourceError::configuration("JetStream consumer " + o_.consumer +
                                                      " is a push consumer; the source needs a pull consumer"));
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream;
  so.Consumer = o_.consumer.c_str();
  const char* filter = o_.subjects.empty() ? nullptr : o_.subjects.front().c_str();
  code = static_cast<jsErrCode>(0);
  if (s = js_PullSubscribe(&pull_, js_, filter, o_.consumer.c_str(), nullptr, &so, &code); s != NATS_OK) {
    pull_ = nullptr;
    return std::unexpected(failure(s, "JetStream pull subscription", code));
  }
  return {};
}

SourceResult<> NatsSource::subscribe_core() {
  {
    std::lock_guard lock(queue_mutex_);
    for (auto* m : queue_) natsMsg_Destroy(m);
    queue_.clear();
    queued_bytes_ = 0;
  }
  for (const auto& subject : o_.subjects) {
    natsSubscription* sub = nullptr;
    const auto s = o_.queue_group ? natsConnection_QueueSubscribe(&sub, connection_, subject.c_str(),
                                                                  o_.queue_group->c_str(), on_message, this)
                                  : natsConnection_Subscribe(&sub, connection_, subject.c_str(), on_message, this);
    if (s != NATS_OK) return std::unexpected(failure(s, "subscribing to " + subject));
    subscriptions_.push_back(sub);
    {
      std::lock_guard lock(queue_mutex_);
      ++live_subscriptions_;
    }
    natsSubscription_SetOnCompleteCB(sub, on_complete, this);
    // libnats' own queue per subscription is bounded too (65,536 messages, 64 MiB by default).
  }
  // The subscriptions are in place on the server once it answered this.
  if (auto s = natsConnection_FlushTimeout(connection_, o_.timeout.count()); s != NATS_OK)
    return std::unexpected(failure(s, "subscribing"));
  return {};
}

void NatsSource::delivered(natsMsg* message) {
  {
    std::lock_guard lock(queue_mutex_);
    const auto size = static_cast<std::size_t>(std::max(0, natsMsg_GetDataLength(message)));
    if (queue_.size() < o_.max_pending && queued_bytes_ + size <= kMaxQueuedBytes) {
      queue_.push_back(message);
      queued_bytes_ += size;
      message = nullptr;
    }
  }
  if (message) {
    natsMsg_Destroy(message);
    dropped_.inc();
    return;
  }
  queue_ready_.notify_one();
}

void NatsSource::subscription_done() {
  {
    std::lock_guard lock(queue_mutex_);
    if (live_subscriptions_ > 0) --live_subscriptions_;
  }
  queue_ready_.notify_all();
}

void NatsSource::disconnect() {
  if (pull_) natsSubscription_Destroy(pull_);
  pull_ = nullptr;
  for (auto* sub : subscriptions_) natsSubscription_Unsubscribe(sub);
  {
    // Their callbacks may still run until each says it is done.
    std::unique_lock lock(queue_mutex_);
    if (!queue_ready_.wait_for(lock, std::chrono::seconds(5), [this] { return live_subscriptions_ == 0; }))
      spdlog::warn("source {}: NATS subscriptions still delivering after 5 s", runtime().name());
    live_subscriptions_ = 0;
    for (auto* m : queue_) natsMsg_Destroy(m);
    queue_.clear();
    queued_bytes_ = 0;
  }
  for (auto* sub : subscriptions_) natsSubscription_Destroy(sub);
  subscriptions_.clear();
  if (js_) jsCtx_Destroy(js_);
  js_ = nullptr;
  if (connection_) {
    natsConnection_Close(connection_);
    natsConnection_Destroy(connection_);
  }
  connection_ = nullptr;
}

SourceResult<Received> NatsSource::receive(std::chrono::steady_clock::time_point deadline) {
  if (natsConnection_IsClosed(connection_))
    return std::unexpected(SourceError::transient("the connection to NATS was lost"));
  return o_.stream ? fetch(deadline) : take_queued(deadline);
}

SourceResult<Received> NatsSource::fetch(std::chrono::steady_clock::time_point deadline) {
  Received batch;
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  natsMsgList list{};
  jsErrCode code = static_cast<jsErrCode>(0);
  const auto s = natsSubscription_Fetch(&list, pull_, static_cast<int>(o_.batch_size),
                                        std::max<std::int64_t>(1, wait.count()), &code);
  if (s == NATS_TIMEOUT) return batch;
  if (s != NATS_OK) return std::unexpected(failure(s, "fetching from " + *o_.stream, code));
  auto taken = std::make_shared<Taken>();
  for (int i = 0; i < list.Count; ++i) {
    natsMsg* m = list.Msgs[i];
    list.Msgs[i] = nullptr;
    taken->messages.push_back(m);
    jsMsgMetaData* meta = nullptr;
    std::optional<std::uint64_t> sequence;
    if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
      sequence = meta->Sequence.Stream;
      jsMsgMetaData_Destroy(meta);
    }
    const std::string position = *o_.stream + "/" + (sequence ? std::to_string(*sequence) : "?");
    take(m, position, sequence, batch);
  }
  natsMsgList_Destroy(&list);
  // Acknowledged once the batch is committed (or, with only unreadable messages, after the batches before it).
  if (!taken->messages.empty()) batch.upstream = std::move(taken);
  return batch;
}

SourceResult<Received> NatsSource::take_queued(std::chrono::steady_clock::time_point deadline) {
  Received batch;
  std::vector<natsMsg*> messages;
  {
    std::unique_lock lock(queue_mutex_);
    queue_ready_.wait_until(lock, deadline, [this] { return !queue_.empty() || live_subscriptions_ == 0; });
    while (!queue_.empty() && messages.size() < o_.batch_size) {
      messages.push_back(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= static_cast<std::size_t>(std::max(0, natsMsg_GetDataLength(messages.back())));
    }
  }
  for (auto* m : messages) {
    take(m, natsMsg_GetSubject(m), std::nullopt, batch);
    natsMsg_Destroy(m);  // core NATS has nothing to acknowledge
  }
  return batch;
}

void NatsSource::take(natsMsg* m, const std::string& position, std::optional<std::uint64_t> sequence, Received& batch) {
  const std::string subject = natsMsg_GetSubject(m);
  auto event = [&]() -> std::expected<IngestionEvent, Unreadable> {
    const auto size = static_cast<std::size_t>(std::max(0, natsMsg_GetDataLength(m)));
    auto text = payload_item(std::string_view(natsMsg_GetData(m) ? natsMsg_GetData(m) : "", size), o_.json,
                             o_.max_message_size);
    if (!text) return std::unexpected(text.error());
    std::string item = std::move(*text);
    auto doc = payload::parse_json(item);
    if (!doc) return std::unexpected(Unreadable{"not_json", "not JSON: " + doc.error()});
    nlohmann::json headers = nlohmann::json::object();
    const char** keys = nullptr;
    int count = 0;
    if (natsMsgHeader_Keys(m, &keys, &count) == NATS_OK) {
      for (int i = 0; i < count; ++i) {
        const std::string value = header_value(m, keys[i]);
        if (simdjson::validate_utf8(keys[i], std::strlen(keys[i])) &&
            simdjson::validate_utf8(value.data(), value.size()))
          headers[keys[i]] = value;
      }
      std::free(static_cast<void*>(keys));
    }
    payload::EnvelopeField envelope{"nats", {{"subject", subject}, {"headers", std::move(headers)}}};
    if (sequence) {
      envelope.value["stream"] = *o_.stream;
      envelope.value["sequence"] = *sequence;
    }
    const payload::HeaderLookup lookup = [&](std::string_view name) -> std::optional<std::string> {
      const auto& held = envelope.value.at("headers");
      if (auto it = held.find(name); it != held.end()) return it->get<std::string>();
      return std::nullopt;
    };
    auto e = mapping_.map(doc->root(), lookup, "nats/" + subject, &envelope, payload::FieldsForm::Text, item);
    if (!e) return std::unexpected(Unreadable{e.error().cause, e.error().reason});
    auto& event = *e;
    if (event.dedupe_key.empty() && sequence) event.dedupe_key = position;
    if (o_.json) event.raw = std::move(item);
    if (event.default_template.empty())
      event.default_template = o_.json ? "[{{_event.source}}] {{_event.topic}}" : "[{{_event.source}}] {{text}}";
    return std::move(event);
  }();
  if (event)
    batch.events.push_back(std::move(*event));
  else
    skip_unreadable(runtime(), unreadable_, position, event.error().cause, event.error().reason);
}

SourceResult<> NatsSource::acknowledge(const Received& batch) {
  const auto* taken = std::any_cast<std::shared_ptr<Taken>>(&batch.upstream);
  if (!taken) return {};
  for (auto* m : (*taken)->messages)
    if (auto s = natsMsg_Ack(m, nullptr); s != NATS_OK) return std::unexpected(failure(s, "acknowledging"));
  // The acks are on the server before the batch counts as acknowledged.
  if (auto s = natsConnection_FlushTimeout(connection_, o_.timeout.count()); s != NATS_OK)
    return std::unexpected(failure(s, "acknowledging"));
  return {};
}

void NatsSource::refused(const Received& batch) {
  // Redelivered now rather than after ack_wait.
  if (const auto* taken = std::any_cast<std::shared_ptr<Taken>>(&batch.upstream))
    for (auto* m : (*taken)->messages) natsMsg_Nak(m, nullptr);
}

namespace {

// The host of nats://user:pass@host:port ([v6] without its brackets).
std::string url_host(std::string url) {
  if (const auto scheme = url.find("://"); scheme != std::string::npos) url.erase(0, scheme + 3);
  if (const auto at = url.rfind('@'); at != std::string::npos) url.erase(0, at + 1);
  if (url.starts_with('[')) return url.substr(1, url.find(']') - 1);
  return url.substr(0, url.find_first_of(":/"));
}

}  // namespace

Result<std::unique_ptr<IngestionSource>> make_nats_source(const config::Node& v) {
  auto mapping = payload::Mapping::from_config(v, kNatsMappingKeys);
  if (!mapping) return std::unexpected(mapping.error());
  NatsOptions o;
  o.servers = v.strings("servers");
  if (v.has("subjects")) o.subjects = v.strings("subjects");
  if (v.has("stream")) o.stream = v.str("stream");
  o.consumer = v.has("consumer") ? v.str("consumer") : "chatops-" + v.str("name");
  if (v.has("queue_group")) o.queue_group = v.str("queue_group");
  o.from_beginning = v.str("start") == "earliest";
  o.ack_wait = v.duration("ack_wait");
  auto optional = [&](std::string_view key) -> std::optional<std::string> {
    return v.has(key) ? std::optional(v.str(key)) : std::nullopt;
  };
  o.token = optional("token");
  o.user = optional("user");
  o.password = optional("password");
  o.nkey = optional("nkey");
  o.nkey_seed_file = optional("nkey_seed_file");
  o.credentials_file = optional("credentials_file");
  o.ca_file = optional("ca_file");
  o.cert_file = optional("cert_file");
  o.key_file = optional("key_file");
  o.tls = v.boolean("tls") || o.ca_file.has_value() || o.servers.front().starts_with("tls://");
  o.tls_hostname = v.has("tls_hostname") ? v.str("tls_hostname") : url_host(o.servers.front());
  o.json = v.str("format") == "json";
  o.batch_size = static_cast<std::size_t>(v.integer("batch_size"));
  o.max_message_size = v.size("max_message_size");
  o.max_pending = static_cast<std::size_t>(v.integer("max_pending"));
  o.timeout = v.duration("timeout");
  return std::make_unique<NatsSource>(stream_options(v), std::move(o), std::move(*mapping));
}

}  // namespace chatops::ingestion::stream

// chatops-nats.so's one entry point.
extern "C" const chatops::ingestion::stream::SystemModule* chatops_module_nats() {
  static const chatops::ingestion::stream::SystemModule module{chatops::ingestion::stream::make_nats_source};
  return &module;
}
