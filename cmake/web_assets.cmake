# Compiles the files of web/ (the login page) into a target, regenerated whenever one of them changes.
function(sms_auth_embed_web target web_dir)
  # CONFIGURE_DEPENDS: a file added to web/ re-runs the glob at build time and lands in the binary.
  file(GLOB_RECURSE web_files CONFIGURE_DEPENDS "${web_dir}/*")
  set(output "${CMAKE_CURRENT_BINARY_DIR}/generated/web_assets_data.cpp")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${CMAKE_COMMAND}" "-DSOURCE_DIR=${web_dir}" "-DOUTPUT=${output}"
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
    DEPENDS ${web_files} "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
    COMMENT "Embedding web/ into the binary"
    VERBATIM)
  target_sources(${target} PRIVATE "${output}")
endfunction()

# The OpenAPI document (docs/openapi.json), served at GET /openapi.json from memory like the page.
function(sms_auth_embed_openapi target docs_dir)
  set(output "${CMAKE_CURRENT_BINARY_DIR}/generated/openapi_document_data.cpp")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${CMAKE_COMMAND}" "-DSOURCE_DIR=${docs_dir}" "-DOUTPUT=${output}" "-DPATTERN=openapi.json"
            "-DFUNCTION=embedded_openapi_files" "-DHEADER=http/handlers/openapi_handlers.hpp"
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
    DEPENDS "${docs_dir}/openapi.json" "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
    COMMENT "Embedding docs/openapi.json into the binary"
    VERBATIM)
  target_sources(${target} PRIVATE "${output}")
endfunction()
