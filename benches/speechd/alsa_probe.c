/* A probe between Speech Dispatcher (or aplay) and ALSA, loaded with
 * LD_PRELOAD by benches/speechd.rs: every snd_pcm_writei() appends
 * "SECONDS.NANOSECONDS FRAMES" (CLOCK_MONOTONIC) to the file named by
 * HERALD_ALSA_PROBE, then passes the call on. It shows when audio is handed
 * to the sound device, which the file tap (it writes a whole ALSA buffer
 * at a time) cannot. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef long frames_written;
typedef unsigned long frame_count;

frames_written snd_pcm_writei(void *pcm, const void *buffer, frame_count size)
{
	static frames_written (*real)(void *, const void *, frame_count);
	if (!real)
		real = (frames_written (*)(void *, const void *, frame_count)) dlsym(RTLD_NEXT, "snd_pcm_writei");
	const char *path = getenv("HERALD_ALSA_PROBE");
	if (path && size > 0) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
		if (fd >= 0) {
			char line[64];
			int n = snprintf(line, sizeof line, "%ld.%09ld %lu\n", (long) now.tv_sec, now.tv_nsec, size);
			if (n > 0)
				(void) !write(fd, line, (size_t) n);
			close(fd);
		}
	}
	return real(pcm, buffer, size);
}
