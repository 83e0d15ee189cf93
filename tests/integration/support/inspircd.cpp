#include "tests/integration/support/inspircd.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/integration/support/irc_test_client.hpp"

namespace chatops::test {

namespace {

constexpr const char* kLinkPassword = "chatops-link";
constexpr const char* kSynced = "finished synching with uplink";

// Atheme refuses to run as root: as root it runs as "irc" (Debian's ircd user).
std::optional<RunAs> services_user() {
  if (!running_as_root()) return std::nullopt;
  if (auto irc = lookup_user("irc")) return irc;
  if (auto nobody = lookup_user("nobody")) return nobody;
  throw std::runtime_error("running as root and neither user irc nor nobody exists for Atheme");
}

// The modules the tests rely on. deaf, servprotect, svshold, chghost and cban must be loaded:
// Atheme's inspircd protocol introduces its clients with +d and uses those features, and
// InspIRCd drops the link on an unknown mode.
constexpr const char* kModules[] = {
    "spanningtree", "cap", "sasl", "services_account", "deaf", "servprotect", "svshold",
    "chghost", "cban", "ircv3", "ircv3_accounttag", "ircv3_batch", "ircv3_capnotify",
    "ircv3_chghost", "ircv3_ctctags", "ircv3_echomessage", "ircv3_labeledresponse",
    "ircv3_msgid", "ircv3_servertime", "setname", "uhnames", "namesx", "sslinfo", "globops",
    "sajoin", "sapart", "sakick", "sanick", "samode", "saquit", "chgident", "sethost"};

}  // namespace

InspircdWithServices::InspircdWithServices(InspircdOptions options) : options_(std::move(options)) {
  dir_.share();  // Atheme runs as another user when we are root
  port_ = free_port();
  link_port_ = free_port();
  if (options_.tls) {
    ca_ = std::make_unique<TestCa>(dir_ / "tls");
    server_cert_ = ca_->issue_server("server", {"localhost"}, {"127.0.0.1"});
    dir_.write("tls/dhparams.pem", dh_params_pem());
    ::chmod((dir_ / "tls").c_str(), 0755);
    tls_port_ = free_port();
  }
  if (options_.relaxed_port) relaxed_port_ = free_port();
  write_inspircd_config();
  if (options_.services) write_atheme_config();
  start();
}

InspircdWithServices::~InspircdWithServices() { stop(); }

std::filesystem::path InspircdWithServices::ca_file() const {
  return ca_ ? ca_->ca_cert() : std::filesystem::path();
}

void InspircdWithServices::write_inspircd_config() const {
  const auto& o = options_;
  std::string d = dir_.path().string();
  std::ostringstream c;
  c << "<config format=\"xml\">\n"
    << "<server name=\"" << o.server_name << "\" description=\"chatops test\" network=\""
    << o.network << "\">\n"
    << "<admin name=\"test\" nick=\"test\" email=\"test@localhost\">\n"
    << "<bind address=\"127.0.0.1\" port=\"" << port_ << "\" type=\"clients\">\n"
    << "<bind address=\"127.0.0.1\" port=\"" << link_port_ << "\" type=\"servers\">\n";
  if (tls_port_)
    c << "<bind address=\"127.0.0.1\" port=\"" << tls_port_
      << "\" type=\"clients\" sslprofile=\"Clients\">\n"
      << "<sslprofile name=\"Clients\" provider=\"gnutls\" certfile=\"" << server_cert_.cert.string()
      << "\" keyfile=\"" << server_cert_.key.string() << "\" dhfile=\"" << d
      << "/tls/dhparams.pem\" requestclientcert=\"yes\" hash=\"sha256\">\n"
      << "<module name=\"ssl_gnutls\">\n";
  if (tls_port_ && o.sts)
    c << "<module name=\"ircv3_sts\">\n<sts host=\"localhost\" port=\"" << tls_port_ << "\" duration=\""
      << o.sts_duration << "\">\n";
  if (relaxed_port_)
    // First match wins: clients on this port get a class with flood control out of the way.
    c << "<bind address=\"127.0.0.1\" port=\"" << relaxed_port_ << "\" type=\"clients\">\n"
      << "<connect name=\"relaxed\" allow=\"*\" port=\"" << relaxed_port_
      << "\" timeout=\"20\" pingfreq=\"120\" threshold=\"1000000\" commandrate=\"1000000\""
         " fakelag=\"no\" recvq=\"1M\" softsendq=\"1M\" hardsendq=\"16M\" localmax=\"1000\""
         " globalmax=\"1000\" maxchans=\"100\" resolvehostnames=\"no\" useident=\"no\">\n";
  // The default class: the flood behaviour of a real network.
  c << "<connect name=\"main\" allow=\"*\" timeout=\"20\" pingfreq=\"120\" threshold=\"10\""
       " commandrate=\"1000\" fakelag=\"yes\" recvq=\"4096\" softsendq=\"10240\" hardsendq=\"1M\""
       " localmax=\"1000\" globalmax=\"1000\" maxchans=\"50\" resolvehostnames=\"no\""
       " useident=\"no\" limit=\"5000\">\n"
    << "<link name=\"" << o.services_name << "\" ipaddr=\"127.0.0.1\" port=\"" << link_port_
    << "\" allowmask=\"127.0.0.1\" sendpass=\"" << kLinkPassword << "\" recvpass=\""
    << kLinkPassword << "\">\n"
    << "<uline server=\"" << o.services_name << "\" silent=\"yes\">\n"
    << "<sasl target=\"" << o.services_name << "\" requiressl=\"no\">\n"
    << "<pid file=\"" << d << "/inspircd.pid\">\n"
    << "<log method=\"file\" type=\"* -USERINPUT -USEROUTPUT\" level=\"default\" target=\"" << d
    << "/inspircd.log\">\n"
    << "<class name=\"All\" commands=\"*\" privs=\"*\" usermodes=\"*\" chanmodes=\"*\" "
       "snomasks=\"*\">\n"
    << "<type name=\"NetAdmin\" classes=\"All\">\n"
    << "<oper name=\"testoper\" password=\"testpass\" host=\"*@*\" type=\"NetAdmin\">\n";
  for (const char* m : kModules) c << "<module name=\"" << m << "\">\n";
  c << o.extra_config << "\n";
  dir_.write("inspircd.conf", c.str());
}

void InspircdWithServices::write_atheme_config() const {
  const auto& o = options_;
  std::ostringstream c;
  for (const char* m :
       {"protocol/inspircd", "backend/opensex", "nickserv/main", "nickserv/register",
        "nickserv/identify", "nickserv/cert", "nickserv/help", "nickserv/info", "nickserv/ghost",
        "nickserv/drop", "nickserv/logout", "nickserv/set_core", "nickserv/set_password",
        "nickserv/set_pubkey", "saslserv/main", "saslserv/plain", "saslserv/external",
        "saslserv/ecdsa-nist256p-challenge", "chanserv/main",
        "chanserv/register", "chanserv/flags", "chanserv/op", "chanserv/help"})
    c << "loadmodule \"modules/" << m << "\";\n";
  // No crypto module: passwords stored as given, registration is instant.
  c << "serverinfo {\n  name = \"" << o.services_name << "\";\n"
    << "  desc = \"chatops test services\";\n  numeric = \"00A\";\n"
    << "  recontime = 1;\n"  // relink within a second after an ircd restart
    << "  netname = \"" << o.network << "\";\n  hidehostsuffix = \"users.test\";\n"
    << "  adminname = \"test\";\n  adminemail = \"test@localhost\";\n"
    << "  registeremail = \"noreply@localhost\";\n"
    << "  loglevel = { error; info; admin; network; register; };\n"
    << "  maxlogins = 100;\n  maxusers = 1000;\n  mdlimit = 30;\n"
    << "  emaillimit = 10;\n  emailtime = 300;\n  auth = none;\n  casemapping = rfc1459;\n};\n"
    << "uplink \"" << o.server_name << "\" {\n  host = \"127.0.0.1\";\n"
    << "  send_password = \"" << kLinkPassword << "\";\n"
    << "  receive_password = \"" << kLinkPassword << "\";\n"
    << "  port = " << link_port_ << ";\n};\n";
  auto service = [&](const char* block, const char* nick, const char* extra) {
    c << block << " {\n  nick = \"" << nick << "\";\n  user = \"" << nick << "\";\n  host = \""
      << o.services_name << "\";\n  real = \"" << nick << "\";\n" << extra << "};\n";
  };
  service("nickserv", "NickServ", "  maxnicks = 5;\n  expire = 30;\n");
  service("saslserv", "SaslServ", "");
  service("chanserv", "ChanServ",
          "  maxchans = 50;\n  trigger = \"!\";\n  expire = 30;\n  maxfounders = 4;\n"
          "  templates { vop = \"+AV\"; hop = \"+AHehitrv\"; aop = \"+AOehiortv\";"
          " sop = \"+AOaefhiorstv\"; founder = \"+AFORaefhiorstv\"; };\n");
  // Registration rate limits off: a test may register many accounts at once.
  c << "general {\n  flood_msgs = 0;\n  flood_time = 10;\n  ratelimit_uses = 100000;\n"
    << "  ratelimit_period = 1;\n  kline_time = 7;\n  commit_interval = 5;\n"
    << "  default_clone_allowed = 1000;\n  default_clone_warn = 1000;\n"
    << "  uplink_sendq_limit = 1048576;\n  language = \"en\";\n  immune_level = immune;\n};\n"
    << o.extra_atheme_config << "\n";
  std::filesystem::create_directories(dir_ / "atheme");
  dir_.write("atheme/atheme.conf", c.str());
  if (auto user = services_user()) {
    // Its data dir (database, pid, log) must be writable by the services user.
    if (::chown((dir_ / "atheme").c_str(), user->uid, user->gid) != 0)
      throw std::runtime_error("chown of the Atheme data dir failed");
  }
}

void InspircdWithServices::start_ircd() {
  std::vector<std::string> argv = {"inspircd", "--nofork", "--nopid", "--config",
                                   (dir_ / "inspircd.conf").string()};
  if (running_as_root()) argv.push_back("--runasroot");
  ircd_.reset();
  ircd_ = std::make_unique<Process>(ProcessOptions{
      .argv = argv, .env = {}, .log_dir = dir_.path(), .name = "inspircd", .cwd = {}, .run_as = {}});
  bool ready = ircd_->wait_for_log("InspIRCd is now running", 15s) && wait_for_port(port_, 5s);
  if (!ready)
    throw std::runtime_error("InspIRCd did not start (" + describe_status(ircd_->wait_status()) +
                             "):\n" + log() + "\n" + read_file(dir_ / "inspircd.log"));
}

void InspircdWithServices::start_services() {
  std::string data = (dir_ / "atheme").string();
  services_.reset();
  services_ = std::make_unique<Process>(ProcessOptions{
      .argv = {"atheme-services", "-n", "-c", data + "/atheme.conf", "-D", data, "-p",
               data + "/atheme.pid", "-l", data + "/atheme.log"},
      .env = {},
      .log_dir = dir_.path(),
      .name = "atheme",
      .cwd = data,
      .run_as = services_user()});
}

int InspircdWithServices::services_links() const {
  if (!services_) return 0;
  std::string out = services_->output();
  int n = 0;
  for (size_t pos = out.find(kSynced); pos != std::string::npos; pos = out.find(kSynced, pos + 1))
    ++n;
  return n;
}

bool InspircdWithServices::wait_for_services(int links_before, Duration timeout) {
  if (!services_) return false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (services_links() <= links_before) {
    if (!services_->running() || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

void InspircdWithServices::start() {
  int links = services_links();
  if (!running()) start_ircd();
  if (!options_.services) return;
  if (!services_ || !services_->running()) start_services();
  if (!wait_for_services(links))
    throw std::runtime_error("Atheme did not link to InspIRCd:\n" + log());
}

void InspircdWithServices::stop() {
  if (services_) services_->stop(5s);
  if (ircd_) ircd_->stop(5s);
}

void InspircdWithServices::restart() {
  if (ircd_) ircd_->stop(5s);
  start();
}

void InspircdWithServices::kill9() {
  if (ircd_) ircd_->kill9();
}

void InspircdWithServices::register_account(const std::string& name, const std::string& password,
                                            const std::string& email) {
  IrcTestClient client({.port = port_, .nick = name, .user = "reg"});
  client.privmsg("NickServ", "REGISTER " + password + " " +
                                 (email.empty() ? name + "@example.org" : email));
  auto reply = client.wait_for_line(
      [](const IrcLine& l) {
        return l.command == "NOTICE" && l.nick == "NickServ" &&
               l.param(1).find("registered") != std::string::npos;
      },
      10s);
  client.quit("registered");
  if (!reply || reply->param(1).find("is now registered") == std::string::npos)
    throw std::runtime_error("NickServ REGISTER " + name + " failed: " +
                             (reply ? reply->param(1) : std::string("no answer")));
}

std::string InspircdWithServices::log() const {
  std::string out;
  if (ircd_) out += "--- inspircd\n" + ircd_->output();
  if (services_) out += "--- atheme\n" + services_->output();
  return out;
}

}  // namespace chatops::test
