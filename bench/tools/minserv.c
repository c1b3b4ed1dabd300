/* minserv: the smallest honest HTTP server for measuring the loopback ceiling.
 *
 *   minserv PORT FILE
 *
 * GET  -> 200 with FILE's bytes sent by sendfile(2) from the page cache.
 * PUT  -> reads Content-Length bytes into one 1 MiB buffer and drops them
 *         (answers "100 Continue" first if asked), then 201.
 * One request per connection, one connection at a time, 127.0.0.1 only.
 * Whatever curl achieves against this is the most any registry on this
 * machine can achieve for a 1 GiB GET/PUT through curl; the registries'
 * numbers are compared with it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static void say(int fd, const char *s) { write_all(fd, s, strlen(s)); }

static void serve(int c, const char *path) {
  static char buf[1 << 20];
  size_t have = 0;
  char *end = NULL;
  while (!end && have < 65536) {
    ssize_t r = read(c, buf + have, 65536 - have);
    if (r <= 0) return;
    have += (size_t)r;
    buf[have] = 0;
    end = strstr(buf, "\r\n\r\n");
  }
  if (!end) return;
  size_t head = (size_t)(end - buf) + 4;
  if (strncmp(buf, "GET ", 4) == 0) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      say(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    char h[256];
    int n = snprintf(h, sizeof h,
                     "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\n"
                     "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                     (long long)st.st_size);
    write_all(c, h, (size_t)n);
    off_t off = 0;
    while (off < st.st_size) {
      ssize_t s = sendfile(c, fd, &off, (size_t)(st.st_size - off));
      if (s <= 0) break;
    }
    close(fd);
  } else if (strncmp(buf, "PUT ", 4) == 0) {
    long long len = 0;
    for (char *p = buf; p < end; p = strstr(p, "\r\n") + 2) {
      if (strncasecmp(p, "Content-Length:", 15) == 0) len = atoll(p + 15);
      if (strncasecmp(p, "Expect:", 7) == 0) say(c, "HTTP/1.1 100 Continue\r\n\r\n");
      if (!strstr(p, "\r\n")) break;
    }
    long long got = (long long)(have - head);
    while (got < len) {
      ssize_t r = read(c, buf, sizeof buf);
      if (r <= 0) return;
      got += r;
    }
    say(c, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  } else {
    say(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: minserv PORT FILE\n");
    return 2;
  }
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[1]));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0) {
    perror("bind/listen");
    return 1;
  }
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    serve(c, argv[2]);
    shutdown(c, SHUT_WR);
    char drain[4096];
    while (read(c, drain, sizeof drain) > 0) {
    }
    close(c);
  }
}
