#include "tests/integration/support/nats.hpp"

#include <nats/nats.h>
#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <stdexcept>

#include "ingestion/stream/nats_connect.hpp"

namespace chatops::test {

namespace {

// nkeys' prefix bytes (github.com/nats-io/nkeys): seeds, operators, accounts, users.
constexpr unsigned char kPrefixSeed = 18 << 3;
constexpr unsigned char kPrefixOperator = 14 << 3;
constexpr unsigned char kPrefixAccount = 0;
constexpr unsigned char kPrefixUser = 20 << 3;

std::uint16_t crc16(const std::vector<unsigned char>& data) {  // CRC-16/XMODEM, as nkeys
  std::uint16_t crc = 0;
  for (const auto byte : data) {
    crc ^= static_cast<std::uint16_t>(byte << 8);
    for (int i = 0; i < 8; ++i) crc = static_cast<std::uint16_t>(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

std::string base32(const std::vector<unsigned char>& data) {  // RFC 4648, without padding
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const auto byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::string encoded(std::vector<unsigned char> data) {
  const auto crc = crc16(data);
  data.push_back(static_cast<unsigned char>(crc & 0xff));
  data.push_back(static_cast<unsigned char>(crc >> 8));
  return base32(data);
}

void check(natsStatus s, const std::string& what) {
  if (s != NATS_OK) {
    natsStatus last = NATS_OK;
    const char* text = nats_GetLastError(&last);
    throw std::runtime_error("nats test client: " + what + ": " + (text && *text ? text : natsStatus_GetText(s)));
  }
}

// An ed25519 key pair as nkeys encodes it, with the key (to sign JWTs).
struct Nkey {
  NkeyPair text;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
};

Nkey make_nkey(unsigned char prefix) {
  Nkey out;
  out.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!out.key) throw std::runtime_error("ed25519 key generation failed");
  std::array<unsigned char, 32> raw_public{}, raw_seed{};
  std::size_t public_size = raw_public.size(), seed_size = raw_seed.size();
  if (EVP_PKEY_get_raw_public_key(out.key.get(), raw_public.data(), &public_size) != 1 ||
      EVP_PKEY_get_raw_private_key(out.key.get(), raw_seed.data(), &seed_size) != 1)
    throw std::runtime_error("ed25519 raw keys unavailable");
  std::vector<unsigned char> pub{prefix};
  pub.insert(pub.end(), raw_public.begin(), raw_public.end());
  std::vector<unsigned char> seed{static_cast<unsigned char>(kPrefixSeed | (prefix >> 5)),
                                  static_cast<unsigned char>((prefix & 31) << 3)};
  seed.insert(seed.end(), raw_seed.begin(), raw_seed.end());
  out.text = {encoded(pub), encoded(seed)};
  return out;
}

std::string base64url(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

// A NATS JWT (nats-io/jwt v2): the claims about `subject`, signed by `issuer`.
std::string jwt(const Nkey& issuer, const std::string& subject, const std::string& name, const std::string& nats) {
  static int serial = 0;
  const std::string header = R"({"typ":"JWT","alg":"ed25519-nkey"})";
  const std::string claims = R"({"jti":"TEST)" + std::to_string(++serial) + R"(","iat":1700000000,"iss":")" +
                             issuer.text.public_key + R"(","name":")" + name + R"(","sub":")" + subject +
                             R"(","nats":)" + nats + "}";
  const std::string input = base64url(header) + "." + base64url(claims);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string signature(64, '\0');
  std::size_t size = signature.size();
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, issuer.key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw std::runtime_error("signing a JWT failed");
  return input + "." + base64url(signature);
}

// Operator-mode server settings, and the user's .creds file written to `creds`.
std::string operator_mode(const std::filesystem::path& creds) {
  const auto op = make_nkey(kPrefixOperator), account = make_nkey(kPrefixAccount), user = make_nkey(kPrefixUser);
  // JetStream needs a system account.
  const auto system = make_nkey(kPrefixAccount);
  const auto system_jwt = jwt(op, system.text.public_key, "SYS", R"({"type":"account","version":2})");
  const auto op_jwt = jwt(op, op.text.public_key, "test-operator", R"({"type":"operator","version":2})");
  const auto account_jwt =
      jwt(op, account.text.public_key, "test-account",
          R"({"limits":{"subs":-1,"data":-1,"payload":-1,"imports":-1,"exports":-1,"wildcards":true,"conn":-1,)"
          R"("leaf":-1,"mem_storage":-1,"disk_storage":-1,"streams":-1,"consumer":-1},)"
          R"("default_permissions":{"pub":{},"sub":{}},"type":"account","version":2})");
  const auto user_jwt = jwt(account, user.text.public_key, "chatops",
                            R"({"pub":{},"sub":{},"subs":-1,"data":-1,"payload":-1,"type":"user","version":2})");
  std::ofstream(creds) << "-----BEGIN NATS USER JWT-----\n"
                       << user_jwt << "\n------END NATS USER JWT------\n\n"
                       << "-----BEGIN USER NKEY SEED-----\n"
                       << user.text.seed << "\n------END USER NKEY SEED------\n";
  return "operator: \"" + op_jwt + "\"\nsystem_account: " + system.text.public_key +
         "\nresolver: MEMORY\nresolver_preload: {\n  " + account.text.public_key + ": \"" + account_jwt + "\"\n  " +
         system.text.public_key + ": \"" + system_jwt + "\"\n}\n";
}

}  // namespace

NkeyPair make_user_nkey() { return make_nkey(kPrefixUser).text; }

NatsServer::NatsServer(NatsServerOptions options) : options_(options) {
  port_ = free_port();
  std::string conf = "listen: 127.0.0.1:" + std::to_string(port_) + "\n";
  switch (options_.auth) {
    case NatsServerOptions::Auth::None:
      break;
    case NatsServerOptions::Auth::Token:
      conf += std::string("authorization { token: \"") + token + "\" }\n";
      break;
    case NatsServerOptions::Auth::Password:
      conf += std::string("authorization { user: \"") + user + "\", password: \"" + password + "\" }\n";
      break;
    case NatsServerOptions::Auth::Credentials:
      conf += operator_mode(credentials_file());
      break;
    case NatsServerOptions::Auth::Nkey:
      nkey_ = make_user_nkey();
      dir_.write("user.nk", nkey_.seed + "\n");
      conf += "authorization { users: [ { nkey: \"" + nkey_.public_key + "\" } ] }\n";
      break;
  }
  if (options_.tls) {
    ca_ = std::make_unique<TestCa>(dir_.path());
    server_cert_ = ca_->issue_server("nats-server");
    client_cert_ = ca_->issue_client("chatops");
    conf += "tls { cert_file: \"" + server_cert_.cert.string() + "\", key_file: \"" + server_cert_.key.string() +
            "\", ca_file: \"" + ca_->ca_cert().string() + "\"" + (options_.verify_clients ? ", verify: true" : "") +
            " }\n";
  }
  dir_.write("nats.conf", conf);
  start();
}

NatsServer::~NatsServer() { stop(); }

std::string NatsServer::url() const {
  return std::string(options_.tls ? "tls" : "nats") + "://127.0.0.1:" + std::to_string(port_);
}

std::filesystem::path NatsServer::ca_file() const { return ca_ ? ca_->ca_cert() : std::filesystem::path(); }

void NatsServer::start() {
  if (process_ && process_->running()) return;
  close_client();
  process_ = std::make_unique<Process>(ProcessOptions{
      .argv = {"nats-server", "-c", (dir_ / "nats.conf").string(), "-js", "-sd", (dir_ / "store").string()},
      .log_dir = dir_.path(),
      .name = "nats"});
  if (!wait_for_port(port_, 15s) || !process_->wait_for_log("Server is ready", 15s))
    throw std::runtime_error("nats-server did not start (" + describe_status(process_->wait_status()) + "):\n" +
                             process_->output());
}

void NatsServer::stop() {
  close_client();
  if (process_) process_->stop(10s);
}

void NatsServer::close_client() {
  if (js_) jsCtx_Destroy(js_);
  js_ = nullptr;
  if (client_) natsConnection_Destroy(client_);
  client_ = nullptr;
}

natsConnection* NatsServer::client() {
  if (client_) return client_;
  natsOptions* opts = nullptr;
  check(natsOptions_Create(&opts), "options");
  const std::string address = url();
  natsStatus s = natsOptions_SetURL(opts, address.c_str());
  if (s == NATS_OK && options_.auth == NatsServerOptions::Auth::Token) s = natsOptions_SetToken(opts, token);
  if (s == NATS_OK && options_.auth == NatsServerOptions::Auth::Password)
    s = natsOptions_SetUserInfo(opts, user, password);
  if (s == NATS_OK && options_.auth == NatsServerOptions::Auth::Nkey)
    s = natsOptions_SetNKeyFromSeed(opts, nkey_.public_key.c_str(), nkey_seed_file().c_str());
  if (s == NATS_OK && options_.auth == NatsServerOptions::Auth::Credentials)
    s = natsOptions_SetUserCredentialsFromFiles(opts, credentials_file().c_str(), nullptr);
  if (s == NATS_OK && options_.tls) s = natsOptions_LoadCATrustedCertificates(opts, ca_->ca_cert().c_str());
  if (s == NATS_OK && options_.verify_clients)
    s = natsOptions_LoadCertificatesChain(opts, client_cert_.cert.c_str(), client_cert_.key.c_str());
  // As the source does: libnats 3.4 sends no signature for 1 nonce in 256.
  if (s == NATS_OK)
    s = ingestion::stream::connect_nats(
        &client_, opts,
        options_.auth == NatsServerOptions::Auth::Nkey || options_.auth == NatsServerOptions::Auth::Credentials);
  natsOptions_Destroy(opts);
  check(s, "connect to " + address);
  return client_;
}

jsCtx* NatsServer::jetstream() {
  if (js_) return js_;
  jsOptions o;
  jsOptions_Init(&o);
  o.PublishAsync.StallWait = 30000;  // a loaded machine acknowledges slowly
  check(natsConnection_JetStream(&js_, client(), &o), "JetStream");
  return js_;
}

void NatsServer::publish(const std::string& subject, const std::string& data,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  natsMsg* m = nullptr;
  check(natsMsg_Create(&m, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size())), "message");
  for (const auto& [name, value] : headers) natsMsgHeader_Add(m, name.c_str(), value.c_str());
  const auto s = natsConnection_PublishMsg(client(), m);
  natsMsg_Destroy(m);
  check(s, "publish");
  check(natsConnection_FlushTimeout(client(), 5000), "flush");
}

void NatsServer::add_stream(const std::string& name, const std::vector<std::string>& subjects) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  std::vector<const char*> subject_list;
  for (const auto& s : subjects) subject_list.push_back(s.c_str());
  cfg.Name = name.c_str();
  cfg.Subjects = subject_list.data();
  cfg.SubjectsLen = static_cast<int>(subject_list.size());
  cfg.Storage = js_FileStorage;
  jsStreamInfo* info = nullptr;
  check(js_AddStream(&info, jetstream(), &cfg, nullptr, nullptr), "add stream " + name);
  jsStreamInfo_Destroy(info);
}

std::uint64_t NatsServer::js_publish(const std::string& subject, const std::string& data) {
  jsPubAck* ack = nullptr;
  check(js_Publish(&ack, jetstream(), subject.c_str(), data.data(), static_cast<int>(data.size()), nullptr, nullptr),
        "JetStream publish to " + subject);
  const auto sequence = ack->Sequence;
  jsPubAck_Destroy(ack);
  return sequence;
}

void NatsServer::js_publish_many(const std::string& subject, int n, const std::function<std::string(int)>& make) {
  for (int i = 0; i < n; ++i) {
    const auto data = make(i);
    check(js_PublishAsync(jetstream(), subject.c_str(), data.data(), static_cast<int>(data.size()), nullptr),
          "JetStream publish to " + subject);
  }
  jsPubOptions o;
  jsPubOptions_Init(&o);
  o.MaxWait = 60000;
  check(js_PublishAsyncComplete(jetstream(), &o), "JetStream publishes acknowledged");
}

std::optional<std::uint64_t> NatsServer::acked(const std::string& stream, const std::string& consumer) {
  jsConsumerInfo* info = nullptr;
  if (js_GetConsumerInfo(&info, jetstream(), stream.c_str(), consumer.c_str(), nullptr, nullptr) != NATS_OK)
    return std::nullopt;
  const auto floor = info->AckFloor.Stream;
  jsConsumerInfo_Destroy(info);
  return floor;
}

std::int64_t NatsServer::ack_pending(const std::string& stream, const std::string& consumer) {
  jsConsumerInfo* info = nullptr;
  if (js_GetConsumerInfo(&info, jetstream(), stream.c_str(), consumer.c_str(), nullptr, nullptr) != NATS_OK) return 0;
  const auto pending = info->NumAckPending;
  jsConsumerInfo_Destroy(info);
  return pending;
}

}  // namespace chatops::test
