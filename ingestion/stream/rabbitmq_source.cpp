#include "ingestion/stream/rabbitmq_source.hpp"

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "ingestion/payload/json.hpp"
#include "ingestion/stream/stream_kind.hpp"

namespace chatops::ingestion::stream {

namespace {

constexpr amqp_channel_t kChannel = 1;
// The system's CAs when no ca_file is given (Debian's ca-certificates bundle).
constexpr const char* kSystemCas = "/etc/ssl/certs/ca-certificates.crt";

amqp_bytes_t bytes_of(const std::string& s) { return {s.size(), const_cast<char*>(s.data())}; }

std::string_view view(const amqp_bytes_t& b) {
  return b.bytes ? std::string_view(static_cast<const char*>(b.bytes), b.len) : std::string_view();
}

// Valid UTF-8 as a JSON string, else null.
nlohmann::json utf8_or_null(std::string_view s) {
  if (!simdjson::validate_utf8(s.data(), s.size())) return nullptr;
  return std::string(s);
}

timeval to_timeval(std::chrono::milliseconds d) {
  const auto ms = std::max<long>(0, d.count());
  return {static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

// A header's value as JSON (tables and arrays are left out: null).
nlohmann::json field_value(const amqp_field_value_t& v) {
  switch (v.kind) {
    case AMQP_FIELD_KIND_BOOLEAN: return static_cast<bool>(v.value.boolean);
    case AMQP_FIELD_KIND_I8: return v.value.i8;
    case AMQP_FIELD_KIND_U8: return v.value.u8;
    case AMQP_FIELD_KIND_I16: return v.value.i16;
    case AMQP_FIELD_KIND_U16: return v.value.u16;
    case AMQP_FIELD_KIND_I32: return v.value.i32;
    case AMQP_FIELD_KIND_U32: return v.value.u32;
    case AMQP_FIELD_KIND_I64: return v.value.i64;
    case AMQP_FIELD_KIND_U64:
    case AMQP_FIELD_KIND_TIMESTAMP: return v.value.u64;
    case AMQP_FIELD_KIND_F32: return v.value.f32;
    case AMQP_FIELD_KIND_F64: return v.value.f64;
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES: return utf8_or_null(view(v.value.bytes));
    default: return nullptr;
  }
}

// AMQP reply codes that retrying with the same configuration cannot mend: access refused (wrong
// credentials, no permission), not found (a queue or exchange missing, undeclared), precondition
// failed (declared with other properties than it has), not allowed (a missing vhost).
bool permanent(int reply_code) {
  return reply_code == AMQP_ACCESS_REFUSED || reply_code == AMQP_NOT_FOUND || reply_code == AMQP_PRECONDITION_FAILED ||
         reply_code == AMQP_NOT_ALLOWED;
}

// The broker's reason for closing, from a channel.close or connection.close.
std::optional<std::pair<int, std::string>> close_reason(amqp_method_number_t id, const void* decoded) {
  if (id == AMQP_CHANNEL_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_channel_close_t*>(decoded);
    return std::pair{static_cast<int>(m->reply_code), std::string(view(m->reply_text))};
  }
  if (id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_connection_close_t*>(decoded);
    return std::pair{static_cast<int>(m->reply_code), std::string(view(m->reply_text))};
  }
  return std::nullopt;
}

SourceError closed_by_broker(const std::string& what, int code, const std::string& text) {
  const std::string message = what + ": the broker said " + std::to_string(code) + " " + text;
  return permanent(code) ? SourceError::configuration(message) : SourceError::transient(message);
}

// Socket errors that say the TLS peer or its name was refused: the configuration (CA, host name)
// must change.
bool tls_refused(int status) {
  return status == AMQP_STATUS_SSL_PEER_VERIFY_FAILED || status == AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED;
}

}  // namespace

RabbitMqSource::RabbitMqSource(StreamOptions stream, RabbitMqOptions options, payload::Mapping mapping)
    : StreamSource(stream), o_(std::move(options)), mapping_(std::move(mapping)) {}

RabbitMqSource::~RabbitMqSource() { stop(); }

SourceError RabbitMqSource::failure(const std::string& what, int library_error, const void* method_reply, bool server) {
  if (server && method_reply) {
    const auto* method = static_cast<const amqp_method_t*>(method_reply);
    if (auto reason = close_reason(method->id, method->decoded))
      return closed_by_broker(what, reason->first, reason->second);
  }
  const std::string message = what + ": " + amqp_error_string2(library_error);
  return tls_refused(library_error) ? SourceError::configuration(message) : SourceError::transient(message);
}

SourceResult<> RabbitMqSource::open_connection() {
  const std::string where = o_.host + ":" + std::to_string(o_.port);
  {
    std::lock_guard lock(connection_mutex_);
    connection_ = amqp_new_connection();
  }
  if (!connection_) return std::unexpected(SourceError::transient("out of memory"));
  amqp_socket_t* socket = nullptr;
  if (o_.tls) {
    socket = amqp_ssl_socket_new(connection_);
    if (!socket) return std::unexpected(SourceError::transient("cannot make a TLS socket"));
    const std::string ca = o_.tls->ca_file.value_or(kSystemCas);
    if (amqp_ssl_socket_set_cacert(socket, ca.c_str()) != AMQP_STATUS_OK)
      return std::unexpected(SourceError::configuration("cannot read the CA file " + ca));
    if (o_.tls->cert_file &&
        amqp_ssl_socket_set_key(socket, o_.tls->cert_file->c_str(), o_.tls->key_file.value_or(*o_.tls->cert_file).c_str()) !=
            AMQP_STATUS_OK)
      return std::unexpected(SourceError::configuration("cannot read the client certificate " + *o_.tls->cert_file));
    amqp_ssl_socket_set_verify_peer(socket, 1);
    amqp_ssl_socket_set_verify_hostname(socket, o_.tls->verify_hostname ? 1 : 0);
  } else {
    socket = amqp_tcp_socket_new(connection_);
    if (!socket) return std::unexpected(SourceError::transient("cannot make a socket"));
  }
  timeval timeout = to_timeval(o_.timeout);
  if (const int status = amqp_socket_open_noblock(socket, o_.host.c_str(), o_.port, &timeout); status != AMQP_STATUS_OK)
    return std::unexpected(failure("cannot connect to " + where, status, nullptr, false));
  amqp_set_handshake_timeout(connection_, &timeout);
  amqp_set_rpc_timeout(connection_, &timeout);
  const auto login = amqp_login(connection_, o_.vhost.c_str(), 0, 131072, static_cast<int>(o_.heartbeat.count()),
                                AMQP_SASL_METHOD_PLAIN, o_.user.c_str(), o_.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL) {
    // RabbitMQ closes the connection with 403 ACCESS_REFUSED on wrong credentials.
    if (login.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION)
      return std::unexpected(failure("login as " + o_.user + " at " + where + " (vhost " + o_.vhost + ")", 0, &login.reply, true));
    return std::unexpected(failure("login at " + where, login.library_error, nullptr, false));
  }
  return {};
}

SourceResult<> RabbitMqSource::declare_and_consume() {
  auto check = [&](const std::string& what) -> SourceResult<> {
    const auto reply = amqp_get_rpc_reply(connection_);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) return {};
    return std::unexpected(failure(what, reply.library_error, &reply.reply,
                                   reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION));
  };
  amqp_channel_open(connection_, kChannel);
  if (auto r = check("opening a channel"); !r) return r;
  amqp_basic_qos(connection_, kChannel, 0, o_.prefetch, 0);
  if (auto r = check("basic.qos"); !r) return r;
  const auto& d = o_.declare;
  if (d.exchange) {
    amqp_exchange_declare(connection_, kChannel, bytes_of(*d.exchange), bytes_of(d.exchange_type), 0, 1, 0, 0,
                          amqp_empty_table);
    if (auto r = check("declaring the exchange " + *d.exchange); !r) return r;
  }
  if (d.queue) {
    amqp_queue_declare(connection_, kChannel, bytes_of(o_.queue), 0, 1, 0, 0, amqp_empty_table);
    if (auto r = check("declaring the queue " + o_.queue); !r) return r;
  }
  if (d.exchange)
    for (const auto& key : d.routing_keys) {
      amqp_queue_bind(connection_, kChannel, bytes_of(o_.queue), bytes_of(*d.exchange), bytes_of(key), amqp_empty_table);
      if (auto r = check("binding the queue " + o_.queue + " to " + *d.exchange + " with " + key); !r) return r;
    }
  amqp_basic_consume(connection_, kChannel, bytes_of(o_.queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
  return check("consuming from the queue " + o_.queue);
}

SourceResult<> RabbitMqSource::connect() {
  unreadable_ = runtime().metrics().counter("chatops_rabbitmq_unreadable_total",
                                            "RabbitMQ messages skipped (acknowledged without an event), by cause.",
                                            {"cause"});
  {
    std::lock_guard lock(connection_mutex_);
    connecting_ = true;
  }
  auto opened = open_connection();
  if (opened) opened = declare_and_consume();
  {
    std::lock_guard lock(connection_mutex_);
    connecting_ = false;
  }
  if (!opened) disconnect();
  return opened;
}

void RabbitMqSource::interrupt() {
  // A login or declaration under way returns at once when its socket is shut down. A consumer
  // that is receiving is not cut: it returns within receive_wait, after the acknowledgement of
  // the batch under way (which would otherwise be delivered again).
  std::lock_guard lock(connection_mutex_);
  if (connection_ && connecting_)
    if (const int fd = amqp_get_sockfd(connection_); fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

void RabbitMqSource::disconnect() {
  std::lock_guard lock(connection_mutex_);
  if (!connection_) return;
  // Unacknowledged deliveries go back to the queue when the channel closes. No goodbye is waited
  // for: the connection may be gone already.
  amqp_destroy_connection(connection_);
  connection_ = nullptr;
}

std::optional<SourceError> RabbitMqSource::other_frame() {
  amqp_frame_t frame;
  timeval none{0, 0};
  if (const int status = amqp_simple_wait_frame_noblock(connection_, &frame, &none); status != AMQP_STATUS_OK)
    return status == AMQP_STATUS_TIMEOUT ? std::nullopt
                                         : std::optional(failure("reading from the broker", status, nullptr, false));
  if (frame.frame_type != AMQP_FRAME_METHOD) return std::nullopt;
  const auto id = frame.payload.method.id;
  if (auto reason = close_reason(id, frame.payload.method.decoded))
    return closed_by_broker("consuming from " + o_.queue, reason->first, reason->second);
  if (id == AMQP_BASIC_CANCEL_METHOD)
    return SourceError::transient("the broker cancelled the consumer of " + o_.queue + " (the queue was deleted?)");
  return std::nullopt;  // nothing this consumer asked for (a basic.ack of publisher confirms…)
}

SourceResult<Received> RabbitMqSource::receive(std::chrono::steady_clock::time_point deadline) {
  Received batch;
  std::uint64_t last_tag = 0;  // the batch's last delivery: its Received::upstream
  std::size_t taken = 0;
  while (taken < o_.batch_size) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!taken && left.count() <= 0) break;
    // Wait for the first message; then take what is already there.
    timeval wait = to_timeval(taken ? std::chrono::milliseconds(0) : left);
    amqp_maybe_release_buffers(connection_);
    amqp_envelope_t envelope;
    const auto reply = amqp_consume_message(connection_, &envelope, &wait, 0);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
      last_tag = envelope.delivery_tag;
      take(envelope, batch);
      amqp_destroy_envelope(&envelope);
      ++taken;
      continue;
    }
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_TIMEOUT) {
      if (taken) break;
      continue;
    }
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      if (auto error = other_frame()) return std::unexpected(*error);
      continue;
    }
    // What was taken is not acknowledged: the broker gives it again.
    return std::unexpected(failure("consuming from " + o_.queue, reply.library_error, &reply.reply,
                                   reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION));
  }
  // Acknowledged once the batch is committed (or, with only unreadable messages, after the batches before it).
  if (last_tag) batch.upstream = last_tag;
  return batch;
}

void RabbitMqSource::take(const amqp_envelope_t& envelope, Received& batch) {
  const auto& properties = envelope.message.properties;
  const auto has = [&](amqp_flags_t flag) { return (properties._flags & flag) != 0; };
  const std::string message_id = has(AMQP_BASIC_MESSAGE_ID_FLAG) ? std::string(view(properties.message_id)) : "";
  const std::string position =
      o_.queue + " delivery " + std::to_string(envelope.delivery_tag) + (message_id.empty() ? "" : " (" + message_id + ")");
  auto event = [&]() -> std::expected<IngestionEvent, Unreadable> {
    auto item_text = payload_item(view(envelope.message.body), o_.json, o_.max_message_size);
    if (!item_text) return std::unexpected(item_text.error());
    std::string item = std::move(*item_text);
    auto doc = payload::parse_json(item);
    if (!doc) return std::unexpected(Unreadable{"not_json", "not JSON: " + doc.error()});
    nlohmann::json headers = nlohmann::json::object();
    if (has(AMQP_BASIC_HEADERS_FLAG))
      for (int i = 0; i < properties.headers.num_entries; ++i) {
        const auto& entry = properties.headers.entries[i];
        const auto name = view(entry.key);
        if (!simdjson::validate_utf8(name.data(), name.size())) continue;
        if (auto value = field_value(entry.value); !value.is_null()) headers[std::string(name)] = std::move(value);
      }
    auto text_property = [&](amqp_flags_t flag, const amqp_bytes_t& b) {
      return has(flag) ? utf8_or_null(view(b)) : nlohmann::json(nullptr);
    };
    const payload::EnvelopeField fields{
        "rabbitmq",
        {
            {"queue", o_.queue},
            {"exchange", utf8_or_null(view(envelope.exchange))},
            {"routing_key", utf8_or_null(view(envelope.routing_key))},
            {"redelivered", static_cast<bool>(envelope.redelivered)},
            {"message_id", text_property(AMQP_BASIC_MESSAGE_ID_FLAG, properties.message_id)},
            {"content_type", text_property(AMQP_BASIC_CONTENT_TYPE_FLAG, properties.content_type)},
            {"app_id", text_property(AMQP_BASIC_APP_ID_FLAG, properties.app_id)},
            {"timestamp", has(AMQP_BASIC_TIMESTAMP_FLAG) ? nlohmann::json(properties.timestamp) : nlohmann::json(nullptr)},
            {"headers", std::move(headers)},
        }};
    const payload::HeaderLookup lookup = [&](std::string_view name) -> std::optional<std::string> {
      const auto& held = fields.value["headers"];
      const auto found = held.find(name);
      if (found == held.end() || !found->is_string()) return std::nullopt;
      return found->get<std::string>();
    };
    auto e = mapping_.map(doc->root(), lookup, "rabbitmq/" + o_.queue, &fields, payload::FieldsForm::Text, item);
    if (!e) return std::unexpected(Unreadable{e.error().cause, e.error().reason});
    auto& mapped = *e;
    // Without an id, a message journaled but not acknowledged when the bot died is said again.
    if (mapped.dedupe_key.empty() && !message_id.empty()) mapped.dedupe_key = o_.queue + "/" + message_id;
    if (o_.json) mapped.raw = std::move(item);
    if (mapped.default_template.empty())
      mapped.default_template =
          o_.json ? "[{{_event.source}}] {{_event.topic}} {{rabbitmq.routing_key}}" : "[{{_event.source}}] {{text}}";
    return std::move(mapped);
  }();
  if (event) batch.events.push_back(std::move(*event));
  else skip_unreadable(runtime(), unreadable_, position, event.error().cause, event.error().reason);
}

SourceResult<> RabbitMqSource::acknowledge(const Received& batch) {
  const auto* last_tag = std::any_cast<std::uint64_t>(&batch.upstream);
  if (!last_tag) return {};
  // One ack for the batch: `multiple` covers every delivery up to its last one.
  const int status = amqp_basic_ack(connection_, kChannel, *last_tag, 1);
  if (status != AMQP_STATUS_OK) return std::unexpected(failure("acknowledging", status, nullptr, false));
  return {};
}

void RabbitMqSource::refused(const Received& batch) {
  const auto* last_tag = std::any_cast<std::uint64_t>(&batch.upstream);
  if (!last_tag) return;
  // Back to the queue at once (and to this consumer after its reconnection, or to another one).
  if (const int status = amqp_basic_nack(connection_, kChannel, *last_tag, 1, 1); status != AMQP_STATUS_OK)
    spdlog::warn("source {}: basic.nack failed ({}); the broker requeues the batch when the channel closes",
                 runtime().name(), amqp_error_string2(status));
}

Result<std::unique_ptr<IngestionSource>> make_rabbitmq_source(const config::Node& v) {
  auto mapping = payload::Mapping::from_config(v, kRabbitMqMappingKeys);
  if (!mapping) return std::unexpected(mapping.error());
  RabbitMqOptions o;
  o.host = v.str("host");
  o.vhost = v.str("vhost");
  o.user = v.str("user");
  o.password = v.str("password");
  if (v.has("tls")) {
    const auto t = v.map("tls");
    RabbitMqTls tls;
    if (t.has("ca_file")) tls.ca_file = t.str("ca_file");
    if (t.has("cert_file")) tls.cert_file = t.str("cert_file");
    if (t.has("key_file")) tls.key_file = t.str("key_file");
    tls.verify_hostname = t.boolean("verify_hostname");
    o.tls = tls;
  }
  o.port = v.has("port") ? static_cast<int>(v.integer("port")) : (o.tls ? 5671 : 5672);
  o.queue = v.str("queue");
  if (v.has("declare")) {
    const auto d = v.map("declare");
    o.declare.queue = d.boolean("queue");
    if (d.has("exchange")) o.declare.exchange = d.str("exchange");
    o.declare.exchange_type = d.str("exchange_type");
    o.declare.routing_keys = d.has("routing_keys") ? d.strings("routing_keys") : std::vector<std::string>{"#"};
  }
  o.prefetch = static_cast<std::uint16_t>(v.integer("prefetch"));
  o.json = v.str("format") == "json";
  o.batch_size = static_cast<std::size_t>(v.integer("batch_size"));
  o.max_message_size = v.size("max_message_size");
  o.heartbeat = std::chrono::duration_cast<std::chrono::seconds>(v.duration("heartbeat"));
  o.timeout = v.duration("timeout");
  return std::make_unique<RabbitMqSource>(stream_options(v), std::move(o), std::move(*mapping));
}

}  // namespace chatops::ingestion::stream

// chatops-rabbitmq.so's one entry point.
extern "C" const chatops::ingestion::stream::SystemModule* chatops_module_rabbitmq() {
  static const chatops::ingestion::stream::SystemModule module{chatops::ingestion::stream::make_rabbitmq_source};
  return &module;
}
