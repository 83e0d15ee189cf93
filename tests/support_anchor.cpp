// Keeps chatops_test_support a valid library while tests/integration/support is empty.
namespace chatops::test { [[maybe_unused]] static const int support_anchor = 0; }
