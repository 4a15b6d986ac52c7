/*
 * A test-only stand-in for Windows' bcryptprimitives.dll, for running the windows_amd64
 * binary under wine 8.0 (Debian 12), which lacks that DLL. Rust's std takes its random
 * bytes from ProcessPrng there; this one answers from RtlGenRandom (advapi32's
 * SystemFunction036), which wine has. scripts/cross-check.sh builds it with mingw-w64 into
 * its scratch directory next to the exe. Never shipped: real Windows (8 and later) has the
 * real DLL.
 */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len) {
        ULONG chunk = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
        if (!RtlGenRandom(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
