#include "ingestion/webhook/gitlab.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "ingestion/webhook/auth.hpp"
#include "ingestion/webhook/json_fields.hpp"

namespace chatops::ingestion::webhook {

namespace {

// The status, green for success, red for failure, yellow while pending (mustache cannot compare, so
// the is_* flags that set_outcome() sets choose the colour).
#define OUTCOME                                                                                       \
  "{{#is_success}}[COLOR=GREEN]{{status}}[/COLOR]{{/is_success}}"                                     \
  "{{#is_failure}}[COLOR=RED]{{status}}[/COLOR]{{/is_failure}}"                                       \
  "{{#is_pending}}[COLOR=YELLOW]{{status}}[/COLOR]{{/is_pending}}{{#is_other}}{{status}}{{/is_other}}"

constexpr std::string_view kZeroSha = "0000000000000000000000000000000000000000";
constexpr std::size_t kShownCommits = 3;

std::string short_sha(std::string_view sha) { return std::string(sha.substr(0, 8)); }


// A number as it is in the payload (ids, durations), or null.
json number_at(Value j, std::string_view pointer) {
  const auto v = find(j, pointer);
  return v && v->is_number() ? to_json(*v) : json();
}

// The `key` of each object in the array at `pointer`, comma-separated.
std::string names_at(Value j, std::string_view pointer, std::string_view key) {
  std::string out;
  if (const auto list = find(j, pointer); list && list->is_array())
    for (Value item : list->get_array())
      if (auto name = text_at(item, key); !name.empty()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Past tense of object_attributes.action, for "alice merged merge request !3".
std::string action_text(std::string_view action) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> words{{
      {"open", "opened"}, {"close", "closed"}, {"reopen", "reopened"}, {"update", "updated"}, {"merge", "merged"},
      {"approval", "approved"}, {"unapproval", "unapproved"}, {"create", "created"}, {"delete", "deleted"}}};
  for (const auto& [verb, past] : words)
    if (verb == action) return std::string(past);
  return std::string(action);
}

// status plus exactly one of is_success/is_failure/is_pending/is_other, from a GitLab CI status.
Severity set_outcome(Fields& f, const std::string& status, Severity on_failure) {
  const bool success = status == "success";
  const bool failure = status == "failed";
  const bool pending = status == "running" || status == "pending" || status == "created" ||
                       status == "preparing" || status == "waiting_for_resource" || status == "scheduled";
  f["status"] = status;
  f["is_success"] = success;
  f["is_failure"] = failure;
  f["is_pending"] = pending;
  f["is_other"] = !success && !failure && !pending;
  return failure ? on_failure : Severity::Info;
}

Severity map_push(Value p, const std::string& project_url, Fields& f) {
  const std::string ref = text_at(p, "/ref"), before = text_at(p, "/before"), after = text_at(p, "/after");
  f["branch"] = ref.starts_with("refs/heads/") ? ref.substr(11) : ref;
  f["ref"] = ref;
  f["before"] = before;
  f["after"] = after;
  f["short_sha"] = short_sha(after);
  f["created"] = before == kZeroSha;
  f["deleted"] = after == kZeroSha;

  FieldsArray commits;
  std::string last_url;
  if (const auto list = find(p, "/commits"); list && list->is_array())
    for (Value c : list->get_array()) {
      Fields commit;
      commit["id"] = text_at(c, "/id");
      commit["short_id"] = short_sha(text_at(c, "/id"));
      commit["title"] = first_line(text_at(c, "/title", text_at(c, "/message")), 120);
      commit["author"] = text_at(c, "/author/name");
      commit["url"] = last_url = text_at(c, "/url");
      commits.push_back(std::move(commit));
    }
  // GitLab lists at most 20 commits, oldest first; total_commits_count has the real number.
  const std::size_t count = static_cast<std::size_t>(std::max<std::int64_t>(
      int_at(p, "/total_commits_count", static_cast<std::int64_t>(commits.size())), 0));
  const std::size_t shown = std::min(commits.size(), kShownCommits);
  f["commit_count"] = count;
  f["commits_text"] = std::to_string(count) + (count == 1 ? " commit" : " commits");
  f["commits_shown"] = commits.slice(commits.size() - shown, shown);
  f["more_commits"] = more_count(count, shown);
  if (before != kZeroSha && after != kZeroSha && !project_url.empty())
    f["url"] = project_url + "/-/compare/" + before + "..." + after;
  else
    f["url"] = commits.size() == 0 ? project_url : last_url;
  f["commits"] = std::move(commits);
  return Severity::Info;
}

Severity map_tag_push(Value p, const std::string& project_url, Fields& f) {
  const std::string ref = text_at(p, "/ref");
  const std::string tag = ref.starts_with("refs/tags/") ? ref.substr(10) : ref;
  f["tag"] = tag;
  f["ref"] = ref;
  f["short_sha"] = short_sha(text_at(p, "/checkout_sha", text_at(p, "/after")));
  f["created"] = text_at(p, "/before") == kZeroSha;
  f["deleted"] = text_at(p, "/after") == kZeroSha;
  f["url"] = project_url + "/-/tags/" + tag;
  return Severity::Info;
}

// Usernames in changes.<key>.current that were not in .previous (reviewers or assignees added).
std::string added_at(Value p, std::string_view key) {
  const std::string changes = "/changes/" + std::string(key);
  std::vector<std::string> previous;
  if (const auto before = find(p, changes + "/previous"); before && before->is_array())
    for (Value user : before->get_array()) previous.push_back(text_at(user, "/username"));
  std::string out;
  if (const auto current = find(p, changes + "/current"); current && current->is_array())
    for (Value user : current->get_array())
      if (const auto name = text_at(user, "/username"); !name.empty() && std::ranges::find(previous, name) == previous.end())
        out += (out.empty() ? "" : ", ") + name;
  return out;
}

Severity map_merge_request(Value p, const std::string&, Fields& f) {
  const std::string action = text_at(p, "/object_attributes/action");
  // GitLab has no action of its own for a review request: an update that adds reviewers.
  const std::string reviewers_added = action == "update" ? added_at(p, "reviewers") : "";
  f["iid"] = int_at(p, "/object_attributes/iid");
  f["title"] = first_line(text_at(p, "/object_attributes/title"), 120);
  f["action"] = action;
  f["review_requested"] = !reviewers_added.empty();
  f["reviewers_added"] = or_null(reviewers_added);
  f["action_text"] = reviewers_added.empty() ? action_text(action) : "requested a review from " + reviewers_added + " on";
  f["state"] = text_at(p, "/object_attributes/state");
  f["source_branch"] = text_at(p, "/object_attributes/source_branch");
  f["target_branch"] = text_at(p, "/object_attributes/target_branch");
  f["draft"] = bool_at(p, "/object_attributes/draft", bool_at(p, "/object_attributes/work_in_progress"));
  f["url"] = text_at(p, "/object_attributes/url");
  f["assignees"] = names_at(p, "/assignees", "/username");
  return Severity::Info;
}

Severity map_pipeline(Value p, const std::string& project_url, Fields& f) {
  const std::string id = text_at(p, "/object_attributes/id");
  f["id"] = int_at(p, "/object_attributes/id");
  f["iid"] = int_at(p, "/object_attributes/iid");
  f["ref"] = text_at(p, "/object_attributes/ref");
  f["tag"] = bool_at(p, "/object_attributes/tag");
  f["detailed_status"] = text_at(p, "/object_attributes/detailed_status");
  f["short_sha"] = short_sha(text_at(p, "/object_attributes/sha"));
  f["source"] = text_at(p, "/object_attributes/source");
  f["duration"] = number_at(p, "/object_attributes/duration");
  f["commit_title"] = first_line(text_at(p, "/commit/title", text_at(p, "/commit/message")), 120);
  f["url"] = project_url + "/-/pipelines/" + id;
  std::string failed;
  if (const auto builds = find(p, "/builds"); builds && builds->is_array())
    for (Value job : builds->get_array())
      if (text_at(job, "/status") == "failed") failed += (failed.empty() ? "" : ", ") + text_at(job, "/name");
  f["failed_jobs"] = or_null(failed);
  f["merge_request_iid"] = int_at(p, "/merge_request/iid");
  f["merge_request_url"] = text_at(p, "/merge_request/url");
  return set_outcome(f, text_at(p, "/object_attributes/status"), Severity::Error);
}

Severity map_job(Value p, const std::string& project_url, Fields& f) {
  const std::string status = text_at(p, "/build_status");
  f["id"] = int_at(p, "/build_id");
  f["name"] = text_at(p, "/build_name");
  f["stage"] = text_at(p, "/build_stage");
  f["ref"] = text_at(p, "/ref");
  f["short_sha"] = short_sha(text_at(p, "/sha"));
  f["pipeline_id"] = int_at(p, "/pipeline_id");
  f["duration"] = number_at(p, "/build_duration");
  const bool allow_failure = bool_at(p, "/build_allow_failure");
  f["allow_failure"] = allow_failure;
  // GitLab sends a failure_reason on jobs that did not fail too; it only means something on failure.
  f["failure_reason"] = or_null(status == "failed" ? text_at(p, "/build_failure_reason") : "");
  f["environment"] = text_at(p, "/environment/name");
  f["url"] = project_url + "/-/jobs/" + text_at(p, "/build_id");
  // A failed job is followed by its pipeline's verdict, so on its own it is a warning.
  return set_outcome(f, status, allow_failure ? Severity::Notice : Severity::Warning);
}

Severity map_issue(Value p, const std::string&, Fields& f) {
  const std::string action = text_at(p, "/object_attributes/action");
  f["iid"] = int_at(p, "/object_attributes/iid");
  f["title"] = first_line(text_at(p, "/object_attributes/title"), 120);
  f["action"] = action;
  f["action_text"] = action_text(action);
  f["state"] = text_at(p, "/object_attributes/state");
  f["url"] = text_at(p, "/object_attributes/url");
  f["confidential"] = bool_at(p, "/object_attributes/confidential");
  f["assignees"] = names_at(p, "/assignees", "/username");
  f["labels"] = or_null(names_at(p, "/labels", "/title"));
  return Severity::Info;
}

Severity map_note(Value p, const std::string&, Fields& f) {
  const std::string type = text_at(p, "/object_attributes/noteable_type");
  f["noteable_type"] = type;
  f["action"] = text_at(p, "/object_attributes/action");
  const std::string note = text_at(p, "/object_attributes/note");
  f["note"] = note;
  f["excerpt"] = first_line(note, 200);
  f["url"] = text_at(p, "/object_attributes/url");
  std::string target = type, title;
  if (type == "MergeRequest") {
    target = "merge request !" + text_at(p, "/merge_request/iid");
    title = text_at(p, "/merge_request/title");
  } else if (type == "Issue") {
    target = "issue #" + text_at(p, "/issue/iid");
    title = text_at(p, "/issue/title");
  } else if (type == "Commit") {
    target = "commit " + short_sha(text_at(p, "/commit/id"));
    title = text_at(p, "/commit/title", text_at(p, "/commit/message"));
  } else if (type == "Snippet") {
    target = "snippet $" + text_at(p, "/snippet/id");
    title = text_at(p, "/snippet/title");
  }
  f["target"] = target;
  f["target_title"] = first_line(title, 120);
  // Internal notes and comments on confidential issues are confidential too.
  f["confidential"] = bool_at(p, "/object_attributes/internal") || bool_at(p, "/object_attributes/confidential") ||
                      bool_at(p, "/issue/confidential");
  return Severity::Info;
}

Severity map_release(Value p, const std::string&, Fields& f) {
  const std::string action = text_at(p, "/action");
  const std::string tag = text_at(p, "/tag"), name = first_line(text_at(p, "/name", tag), 120);
  f["tag"] = tag;
  f["name"] = name;
  f["tag_shown"] = or_null(name == tag ? "" : tag);  // the name may say it already
  f["action"] = action;
  f["action_text"] = action_text(action);
  f["url"] = text_at(p, "/url");
  return Severity::Info;
}

Severity map_deployment(Value p, const std::string&, Fields& f) {
  f["id"] = int_at(p, "/deployment_id");
  f["environment"] = text_at(p, "/environment");
  f["environment_url"] = text_at(p, "/environment_external_url");
  f["ref"] = text_at(p, "/ref");
  f["short_sha"] = text_at(p, "/short_sha");
  f["commit_title"] = first_line(text_at(p, "/commit_title"), 120);
  f["commit_url"] = text_at(p, "/commit_url");
  f["url"] = text_at(p, "/deployable_url");
  return set_outcome(f, text_at(p, "/status"), Severity::Error);
}

// Whether the provider's template says an event: a bind without a template of its own hears only
// what a team wants to read; a bind with its own template hears every event of its topic.
using Said = bool (*)(const Fields& fields);
bool always(const Fields&) { return true; }
// Not the created, pending and running states of pipelines, jobs and deployments.
bool finished(const Fields& f) { return f.raw("is_pending") != "true"; }
// Not the edits of a release.
bool not_an_update(const Fields& f) { return f.raw("action") != R"("update")"; }

struct EventMapping {
  std::string_view object_kind;  // in the body
  std::string_view topic;
  std::string_view what;  // several of them, in words, for digest lines ("… and 37 more pushes")
  std::string_view required;  // a JSON pointer the event cannot do without
  Severity (*map)(Value payload, const std::string& project_url, Fields& fields);
  std::string_view default_template;
  Said said = always;
};

constexpr std::array kEvents{
    EventMapping{"push", "gitlab/push", "pushes", "/ref", map_push,
                 "[B]{{project}}[/B] {{user}} {{#deleted}}deleted branch [B]{{branch}}[/B]{{/deleted}}"
                 "{{^deleted}}pushed {{commits_text}} to [B]{{branch}}[/B]{{#created}} (new branch){{/created}}"
                 " {{url}}{{#commits_shown}}\n  {{short_id}} {{title}} ({{author}}){{/commits_shown}}"
                 "{{#more_commits}}\n  … and {{count}} more{{/more_commits}}{{/deleted}}"},
    EventMapping{"tag_push", "gitlab/tag_push", "tag pushes", "/ref", map_tag_push,
                 "[B]{{project}}[/B] {{user}} {{#deleted}}deleted tag [B]{{tag}}[/B]{{/deleted}}"
                 "{{^deleted}}pushed tag [B]{{tag}}[/B] at {{short_sha}} {{url}}{{/deleted}}"},
    EventMapping{"merge_request", "gitlab/merge_request", "merge request updates", "/object_attributes/iid", map_merge_request,
                 "[B]{{project}}[/B] {{user}} {{action_text}} merge request [B]!{{iid}}[/B] {{title}} "
                 "({{target_branch}} ← {{source_branch}}) {{url}}"},
    EventMapping{"pipeline", "gitlab/pipeline", "pipelines", "/object_attributes/status", map_pipeline,
                 "[B]{{project}}[/B] pipeline #{{id}} on [B]{{ref}}[/B]: " OUTCOME
                 " ({{short_sha}} {{commit_title}}, {{user}}){{#failed_jobs}} failed jobs: {{failed_jobs}}{{/failed_jobs}}"
                 " {{url}}",
                 finished},
    EventMapping{"build", "gitlab/job", "jobs", "/build_status", map_job,
                 "[B]{{project}}[/B] job [B]{{name}}[/B] ({{stage}}) on {{ref}}: " OUTCOME
                 "{{#failure_reason}} ({{failure_reason}}){{/failure_reason}} {{url}}",
                 finished},
    EventMapping{"issue", "gitlab/issue", "issue updates", "/object_attributes/iid", map_issue,
                 "[B]{{project}}[/B] {{user}} {{action_text}} issue [B]#{{iid}}[/B] {{title}}"
                 "{{#labels}} [{{labels}}]{{/labels}} {{url}}"},
    EventMapping{"note", "gitlab/note", "comments", "/object_attributes/note", map_note,
                 "[B]{{project}}[/B] {{user}} commented on {{target}} ({{target_title}}): {{excerpt}} {{url}}"},
    EventMapping{"release", "gitlab/release", "release updates", "/tag", map_release,
                 "[B]{{project}}[/B] release [B]{{name}}[/B]{{#tag_shown}} ({{tag_shown}}){{/tag_shown}} {{action_text}} {{url}}",
                 not_an_update},
    EventMapping{"deployment", "gitlab/deployment", "deployments", "/status", map_deployment,
                 "[B]{{project}}[/B] deployment to [B]{{environment}}[/B]: " OUTCOME
                 " ({{ref}} {{short_sha}} {{commit_title}}, {{user}}) {{url}}",
                 finished},
};

#undef OUTCOME

// object_kind for an X-Gitlab-Event value, for bodies that do not say.
std::string_view kind_from_header(std::string_view event) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kinds{{
      {"Push Hook", "push"}, {"Tag Push Hook", "tag_push"}, {"Merge Request Hook", "merge_request"},
      {"Pipeline Hook", "pipeline"}, {"Job Hook", "build"}, {"Build Hook", "build"}, {"Issue Hook", "issue"},
      {"Confidential Issue Hook", "issue"}, {"Note Hook", "note"}, {"Confidential Note Hook", "note"},
      {"Release Hook", "release"}, {"Deployment Hook", "deployment"}}};
  for (const auto& [header, kind] : kinds)
    if (header == event) return kind;
  return {};
}

// project / project_url / user / user_name, from whichever of GitLab's layouts the event has; the
// project's URL is returned too, for the links the mappings build on it.
std::string common_fields(Value p, std::string_view kind, Fields& f) {
  const std::string user_name = text_at(p, "/user/name", text_at(p, "/user_name"));
  std::string project_url = text_at(p, "/project/web_url", text_at(p, "/repository/homepage"));
  f["object_kind"] = kind;
  f["project"] = text_at(p, "/project/path_with_namespace", text_at(p, "/project_name"));
  f["project_url"] = project_url;
  f["user"] = text_at(p, "/user/username", text_at(p, "/user_username", user_name));
  f["user_name"] = user_name;
  return project_url;
}

class GitLabProvider final : public Provider {
 public:
  explicit GitLabProvider(GitLabOptions options)
      : check_("X-Gitlab-Token", std::move(options.token)), include_confidential_(options.include_confidential) {}

  std::optional<Rejection> authenticate(const Request& request) const override { return check_.verify(request); }

  std::expected<Parsed, Rejection> parse(const Request& request) const override {
    auto body = parse_json_body(request);
    if (!body) return std::unexpected(body.error());
    const Value payload = body->root();
    if (!payload.is_object()) return std::unexpected(bad_request("malformed_json", "payload is not a JSON object"));

    // object_kind is the authority; the header only names bodies that lack it.
    std::string kind = text_at(payload, "/object_kind");
    if (const auto header = request.header("X-Gitlab-Event"); kind.empty() && header)
      kind = kind_from_header(*header);
    if (kind.empty())
      return std::unexpected(bad_request("unknown_event", "neither object_kind nor X-Gitlab-Event names a known event"));
    const auto mapping = std::ranges::find(kEvents, kind, &EventMapping::object_kind);
    if (mapping == kEvents.end())
      return Parsed{{}, "unmapped GitLab event " + (is_token(kind) ? first_line(kind, 40) : "(unnamed)")};
    if (!find(payload, mapping->required))
      return std::unexpected(bad_request("missing_field", "GitLab " + kind + " event without " +
                                                              std::string(mapping->required.substr(1))));

    IngestionEvent e;
    e.topic = std::string(mapping->topic);
    Fields f;
    const std::string project_url = common_fields(payload, kind, f);
    f["what"] = mapping->what;
    e.severity = mapping->map(payload, project_url, f);
    if (f.raw("confidential") == "true" && !include_confidential_)
      return Parsed{{}, "confidential GitLab " + kind + " (include_confidential is off)"};
    e.raw = body->text();
    e.default_template = std::string(mapping->said(f) ? mapping->default_template : kQuietTemplate);
    e.fields = EventFields::from_text(std::move(f).text());
    e.dedupe_key = dedupe_key(request);
    e.time = request.received;
    return Parsed{{std::move(e)}, {}};
  }

 private:
  // Idempotency-Key (GitLab 17.4+) stays the same across retries; older versions send only the UUIDs.
  static std::string dedupe_key(const Request& request) {
    for (const char* name : {"Idempotency-Key", "X-Gitlab-Webhook-UUID", "X-Gitlab-Event-UUID"})
      if (auto value = request.header(name); value && is_token(*value)) return "gitlab:" + *value;
    return "";
  }

  TokenCheck check_;
  bool include_confidential_;
};

config::Schema gitlab_schema() {
  config::Schema s("gitlab", "GitLab project, group or system webhooks.");
  s.field("token", config::Kind::Secret, "The webhook's secret token, sent by GitLab in X-Gitlab-Token.")
      .required()
      .example("\"${GITLAB_TOKEN}\"");
  s.field("include_confidential", config::Kind::Boolean,
          "Also announce confidential issues and comments (skipped by default: channels are rarely private).")
      .fallback("false");
  return s;
}

}  // namespace

std::unique_ptr<Provider> make_gitlab(GitLabOptions options) {
  return std::make_unique<GitLabProvider>(std::move(options));
}

ProviderSpec gitlab_spec() {
  return {
      .name = "gitlab",
      .doc = "GitLab webhooks, authenticated by the secret token (X-Gitlab-Token). Topics: gitlab/push, "
             "gitlab/tag_push, gitlab/merge_request, gitlab/pipeline, gitlab/job, gitlab/issue, gitlab/note, "
             "gitlab/release, gitlab/deployment; other events are skipped.",
      .schema = gitlab_schema,
      .make = [](const config::Node& validated) -> Result<std::unique_ptr<Provider>> {
        GitLabOptions options{validated.str("token"), validated.boolean("include_confidential")};
        if (options.token.empty()) return std::unexpected(validated["token"].error("token is empty"));
        return make_gitlab(std::move(options));
      },
  };
}

}  // namespace chatops::ingestion::webhook
