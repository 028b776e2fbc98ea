# Compares (MODE=check) or copies (MODE=update) the reference docs that
# mlir-tblgen generated into ${GENERATED} with those checked in at
# ${CHECKED_IN}, so docs/generated never goes stale.
file(GLOB_RECURSE generated RELATIVE ${GENERATED} ${GENERATED}/*.md)
set(stale "")
foreach(doc ${generated})
  if(MODE STREQUAL "update")
    configure_file(${GENERATED}/${doc} ${CHECKED_IN}/${doc} COPYONLY)
  else()
    file(READ ${GENERATED}/${doc} fresh)
    set(old "")
    if(EXISTS ${CHECKED_IN}/${doc})
      file(READ ${CHECKED_IN}/${doc} old)
    endif()
    if(NOT fresh STREQUAL old)
      list(APPEND stale ${doc})
    endif()
  endif()
endforeach()
if(stale)
  message(FATAL_ERROR "docs/generated is stale (${stale}); run "
                      "`ninja -C build update-docs` and commit the result")
endif()
