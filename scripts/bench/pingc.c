/*
 * pingc: the plainest client view of a server's reply latency, for scripts/accuracy.sh.
 * Logs in to an MSNP notification server (no dispatch tier) with blocking sockets, then times PNG -> QNG
 * n times, sleeping gap_us between, and prints the median and 90th percentile in microseconds.
 * What it measures is the server's delay plus what the machine and the server add; msnbench's ping
 * phase against the same server, minus this, is what msnbench adds.
 *
 * Build: cc -O2 -o pingc pingc.c -lcrypto
 * Use:   ./pingc 127.0.0.1 1863 user0@example.com password 500 4000
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static long long ns(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1000000000LL+t.tv_nsec;}
static int cmp(const void*a,const void*b){long long x=*(long long*)a,y=*(long long*)b;return x<y?-1:x>y;}
static int fd; static char buf[8192]; static int len;
static char *line(){ for(;;){ char*nl=memchr(buf,'\n',len); if(nl){ static char out[8192]; int n=nl-buf+1; memcpy(out,buf,n); out[n]=0; memmove(buf,buf+n,len-n); len-=n; return out;} int r=read(fd,buf+len,sizeof buf-len); if(r<=0) return 0; len+=r; } }
static char *cmd(const char *s, const char *want){ write(fd,s,strlen(s)); for(;;){ char*l=line(); if(!l) {fprintf(stderr,"eof\n"); exit(1);} if(!strncmp(l,want,3)) return l; } }
int main(int c,char**v){
  struct sockaddr_in a={0}; a.sin_family=AF_INET; a.sin_port=htons(atoi(v[2])); inet_pton(AF_INET,v[1],&a.sin_addr);
  fd=socket(AF_INET,SOCK_STREAM,0); int one=1; setsockopt(fd,IPPROTO_TCP,TCP_NODELAY,&one,4);
  if(connect(fd,(void*)&a,sizeof a)){perror("connect");return 1;}
  char o[512],*l; cmd("VER 1 MSNP7 CVR0\r\n","VER"); cmd("INF 2\r\n","INF");
  snprintf(o,sizeof o,"USR 3 MD5 I %s\r\n",v[3]); l=cmd(o,"USR");
  char chal[128]; sscanf(l,"USR %*d MD5 S %127s",chal); char m[256]; int ml=snprintf(m,sizeof m,"%s%s",chal,v[4]);
  unsigned char d[16]; unsigned dl; EVP_Digest(m,ml,d,&dl,EVP_md5(),0); char hx[33]; for(int i=0;i<16;i++) sprintf(hx+2*i,"%02x",d[i]);
  snprintf(o,sizeof o,"USR 4 MD5 S %s\r\n",hx); l=cmd(o,"USR");
  int n=atoi(v[5]); long gap=atol(v[6]); long long*r=malloc(8*n);
  for(int i=0;i<n;i++){ long long t0=ns(); cmd("PNG\r\n","QNG"); r[i]=ns()-t0; struct timespec ts={gap/1000000,(gap%1000000)*1000}; nanosleep(&ts,0);}
  qsort(r,n,8,cmp); printf("pingc PNG->QNG p50 %lld p90 %lld us\n",r[n/2]/1000,r[n*9/10]/1000); return 0; }
