/* libcurl.so.4 shim: the artifact's libmesos was linked against a libcurl
 * built with OpenSSL 1.0 and asks for 7 symbols versioned CURL_OPENSSL_3;
 * Debian 12's libcurl4 versions them CURL_OPENSSL_4. This library carries
 * the old version name and forwards each call to the system's libcurl,
 * opened by its full path (REAL_LIBCURL, set when it is built). Without a
 * system libcurl, curl_global_init succeeds and every transfer fails. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#ifndef REAL_LIBCURL
#define REAL_LIBCURL "/usr/lib/x86_64-linux-gnu/libcurl.so.4"
#endif

#define CURLE_FAILED_INIT 2

static void *real_symbol(const char *name) {
  static void *handle;
  static int tried;
  if (!tried) {
    tried = 1;
    handle = dlopen(REAL_LIBCURL, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
      fprintf(stderr, "real-mesos: curl shim: %s\n", dlerror());
    }
  }
  return handle == NULL ? NULL : dlsym(handle, name);
}

int curl_global_init(long flags) {
  int (*f)(long) = (int (*)(long))real_symbol("curl_global_init");
  return f == NULL ? 0 : f(flags);
}

void *curl_easy_init(void) {
  void *(*f)(void) = (void *(*)(void))real_symbol("curl_easy_init");
  return f == NULL ? NULL : f();
}

/* Every curl_easy_setopt / curl_easy_getinfo argument is a long, a
 * curl_off_t, a function pointer or a data pointer: one 64-bit integer-class
 * argument on x86_64, forwarded unchanged. */
int curl_easy_setopt(void *curl, int option, ...) {
  int (*f)(void *, int, ...) = (int (*)(void *, int, ...))real_symbol("curl_easy_setopt");
  va_list args;
  va_start(args, option);
  void *arg = va_arg(args, void *);
  va_end(args);
  return f == NULL ? CURLE_FAILED_INIT : f(curl, option, arg);
}

int curl_easy_perform(void *curl) {
  int (*f)(void *) = (int (*)(void *))real_symbol("curl_easy_perform");
  return f == NULL ? CURLE_FAILED_INIT : f(curl);
}

int curl_easy_getinfo(void *curl, int info, ...) {
  int (*f)(void *, int, ...) = (int (*)(void *, int, ...))real_symbol("curl_easy_getinfo");
  va_list args;
  va_start(args, info);
  void *arg = va_arg(args, void *);
  va_end(args);
  return f == NULL ? CURLE_FAILED_INIT : f(curl, info, arg);
}

const char *curl_easy_strerror(int code) {
  const char *(*f)(int) = (const char *(*)(int))real_symbol("curl_easy_strerror");
  return f == NULL ? "libcurl unavailable (real-mesos curl shim)" : f(code);
}

void curl_easy_cleanup(void *curl) {
  void (*f)(void *) = (void (*)(void *))real_symbol("curl_easy_cleanup");
  if (f != NULL) {
    f(curl);
  }
}
