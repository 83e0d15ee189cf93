# `cmake --install`: the binary, its modules, its man pages, an example configuration and a
# hardened systemd unit (see docs/operations.md, "Installing").

include(GNUInstallDirs)
set(CHATOPS_SYSTEMD_UNIT_DIR lib/systemd/system CACHE STRING
    "Where cmake --install puts chatops-bot.service, relative to the install prefix")

install(TARGETS chatops-bot RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The modules where the loader looks, relative to the binary (core/modules/module_loader.hpp).
foreach(stem ${CHATOPS_MODULES})
  install(TARGETS chatops-${stem} LIBRARY DESTINATION ${CHATOPS_MODULE_INSTALL_DIR})
endforeach()

# chatops-bot(1) and chatops-bot.yml(5), printed by the built binary from the declarations of its
# options and of the configuration (the same ones docs/configuration.md comes from).
set(MAN_DIR ${CMAKE_BINARY_DIR}/man)
set(MAN_PAGES ${MAN_DIR}/chatops-bot.1 ${MAN_DIR}/chatops-bot.yml.5)
add_custom_command(OUTPUT ${MAN_PAGES}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${MAN_DIR}
  COMMAND sh -c "\"$0\" --man-page 1 >\"$1\" && \"$0\" --man-page 5 >\"$2\"" $<TARGET_FILE:chatops-bot> ${MAN_PAGES}
  DEPENDS chatops-bot
  COMMENT "Writing the man pages" VERBATIM)
add_custom_target(chatops_man_pages ALL DEPENDS ${MAN_PAGES})
install(FILES ${MAN_DIR}/chatops-bot.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${MAN_DIR}/chatops-bot.yml.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)

install(FILES ${CMAKE_SOURCE_DIR}/packaging/chatops-bot.yml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The unit is written at install time, so that it names the binary where --prefix put it.
install(CODE "
  set(CHATOPS_BINARY \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/chatops-bot\")
  set(unit \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CHATOPS_SYSTEMD_UNIT_DIR}/chatops-bot.service\")
  message(STATUS \"Installing: \${unit}\")
  configure_file(\"${CMAKE_SOURCE_DIR}/packaging/chatops-bot.service.in\" \"\${unit}\" @ONLY)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${unit}\")
")
