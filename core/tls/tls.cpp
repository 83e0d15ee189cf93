#include "core/tls/tls.hpp"

#include "core/modules/module_loader.hpp"

namespace chatops::tls {

Result<const Module*> load_module() { return modules::load<Module>("openssl"); }

}  // namespace chatops::tls
