# `make deb`: a Debian package (CPack) with /usr/bin/sms-auth, the systemd unit, an example environment file
# (a conffile, kept on upgrade when edited) and the operator documentation.
include(GNUInstallDirs)

install(TARGETS sms-auth RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/deploy/sms-auth.service DESTINATION lib/systemd/system)
# The environment file holds secrets once edited: readable by root only (systemd reads it for the service).
install(FILES ${PROJECT_SOURCE_DIR}/deploy/sms-auth.env DESTINATION /etc/sms-auth
        PERMISSIONS OWNER_READ OWNER_WRITE)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/api.md
              ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/openapi.json
              ${PROJECT_SOURCE_DIR}/docs/verifying-tokens.md ${PROJECT_SOURCE_DIR}/deploy/nginx/sms-auth.conf
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/sms-auth)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sms-auth)
set(CPACK_PACKAGE_VENDOR "sms-auth")
set(CPACK_PACKAGE_CONTACT "sms-auth maintainers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Phone-number login over SMS (Mobizon): codes by SMS, JWT access tokens")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends from the libraries the binary links (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_SOURCE_DIR}/deploy/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)  # /etc/sms-auth is absolute on purpose
include(CPack)
