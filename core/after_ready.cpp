#include "core/after_ready.hpp"

#include <utility>

namespace chatops::after_ready {

namespace {
thread_local Post this_thread_post;
}  // namespace

void set_for_this_thread(Post post) { this_thread_post = std::move(post); }

bool available() { return static_cast<bool>(this_thread_post); }

void post(std::function<void()> work) { this_thread_post(std::move(work)); }

Hold::Hold() : held_(std::exchange(this_thread_post, nullptr)) {}

Hold::~Hold() { this_thread_post = std::move(held_); }

}  // namespace chatops::after_ready
