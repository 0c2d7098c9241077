// Memory read bandwidth from 1 and 2 threads (best of 3 passes over 512 MiB, AVX2 loads): the bound decode is
// measured against. Build and run: cc -O2 -mavx2 -pthread tools/bench/read_bandwidth.c -o /tmp/read_bandwidth && /tmp/read_bandwidth
// An argument sets the buffer in MiB instead (e.g. 96, the default model's weights read per token: on a host whose
// last-level cache holds them, the rate decode can reach is that of the cache, not of DRAM).
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <time.h>
#include <immintrin.h>
static size_t SZ = 512UL<<20;
static char *buf; static int nt;
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static void* rd(void*a){long id=(long)a; size_t per=SZ/nt; __m256i acc=_mm256_setzero_si256();
 for(int rep=0;rep<4;rep++) for(size_t i=id*per;i<(id+1)*per;i+=128){ acc=_mm256_add_epi64(acc,_mm256_load_si256((__m256i*)(buf+i)));acc=_mm256_add_epi64(acc,_mm256_load_si256((__m256i*)(buf+i+32)));acc=_mm256_add_epi64(acc,_mm256_load_si256((__m256i*)(buf+i+64)));acc=_mm256_add_epi64(acc,_mm256_load_si256((__m256i*)(buf+i+96)));}
 long long s[4]; _mm256_storeu_si256((__m256i*)s,acc); return (void*)(s[0]^s[1]); }
int main(int argc, char **argv){ if(argc>1) SZ=(size_t)atol(argv[1])<<20; buf=aligned_alloc(64,SZ); for(size_t i=0;i<SZ;i+=4096) buf[i]=1;
 for(nt=1;nt<=2;nt++){ double best=0; for(int k=0;k<3;k++){ pthread_t th[2]; double t0=now(); for(long i=0;i<nt;i++) pthread_create(&th[i],0,rd,(void*)i); for(int i=0;i<nt;i++) pthread_join(th[i],0); double gb=4.0*SZ/(now()-t0)/1e9; if(gb>best) best=gb;} printf("%d thread(s), %zu MiB: %.1f GB/s\n",nt,SZ>>20,best);} }
