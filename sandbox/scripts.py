"""The page scripts the sandbox serves with today's pages (issue 10).

The signing scheme here is the **sandbox's own** (SHA-256 over a per-page nonce, the session's token,
``t``, the app key and the data): it stands where the real sites' ``mtop sign`` + ``bx-ua`` and JD's
``h5st`` stand, so that a client that does not run the page's script cannot sign; it is not, and does
not imitate, any real algorithm.
"""

# ruff: noqa: E501  (JavaScript)
from __future__ import annotations

import hashlib

#: Shared helpers of every scripted page: ``SBX.sha256``, ``SBX.url(host, rest)`` (a URL on a platform
#: host that works both under the sandbox's ``/<host>/<path>`` rewrite and at the real host),
#: ``SBX.real(url)``, ``SBX.here()`` (the page's real URL), ``SBX.cookie(name)``, ``SBX.bx(nonce)``, ``SBX.text(tag, cls, text)``.
COMMON = r"""var SBX=(function(){
function sha256(str){var b=new TextEncoder().encode(str),K=[0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,0xe49b69c1,0xefbe4786,0xfc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x6ca6351,0x14292967,0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2],H=[0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19];
var l=b.length,n=((l+72)>>6)<<6,m=new Uint8Array(n),w=new Array(64),i,j;m.set(b);m[l]=0x80;var bits=l*8;
m[n-5]=Math.floor(bits/4294967296)&255;m[n-4]=(bits>>>24)&255;m[n-3]=(bits>>>16)&255;m[n-2]=(bits>>>8)&255;m[n-1]=bits&255;
for(i=0;i<n;i+=64){for(j=0;j<16;j++)w[j]=(m[i+4*j]<<24)|(m[i+4*j+1]<<16)|(m[i+4*j+2]<<8)|m[i+4*j+3];
for(j=16;j<64;j++){var x=w[j-15],y=w[j-2];w[j]=(w[j-16]+(((x>>>7)|(x<<25))^((x>>>18)|(x<<14))^(x>>>3))+w[j-7]+(((y>>>17)|(y<<15))^((y>>>19)|(y<<13))^(y>>>10)))|0;}
var a=H[0],c1=H[1],c=H[2],d=H[3],e=H[4],f=H[5],g=H[6],h=H[7];
for(j=0;j<64;j++){var t1=(h+(((e>>>6)|(e<<26))^((e>>>11)|(e<<21))^((e>>>25)|(e<<7)))+((e&f)^(~e&g))+K[j]+w[j])|0;
var t2=((((a>>>2)|(a<<30))^((a>>>13)|(a<<19))^((a>>>22)|(a<<10)))+((a&c1)^(a&c)^(c1&c)))|0;h=g;g=f;f=e;e=(d+t1)|0;d=c;c=c1;c1=a;a=(t1+t2)|0;}
H[0]=(H[0]+a)|0;H[1]=(H[1]+c1)|0;H[2]=(H[2]+c)|0;H[3]=(H[3]+d)|0;H[4]=(H[4]+e)|0;H[5]=(H[5]+f)|0;H[6]=(H[6]+g)|0;H[7]=(H[7]+h)|0;}
return H.map(function(v){return (v>>>0).toString(16).padStart(8,'0');}).join('');}
var rewritten=/^\/[a-z0-9-]+(\.[a-z0-9-]+)+\//.test(location.pathname);
function url(host,rest){return rewritten?location.origin+'/'+host+rest:'https://'+host+rest;}
function real(u){var m=String(u).match(/^(?:https?:)?\/\/([^\/:]+)(?::\d+)?(.*)$/);return m?url(m[1],m[2]):u;}
function here(){return rewritten?'https://'+location.pathname.slice(1)+location.search:location.href;}
function cookie(n){var m=document.cookie.match(new RegExp('(?:^|; )'+n+'=([^;]*)'));return m?decodeURIComponent(m[1]):'';}
function key(){return [115,98,120,45].map(function(c){return String.fromCharCode(c);}).join('')+(window.__SBX__||{}).seed;}
function bx(nonce){return sha256('bx1|'+nonce+'|'+key());}
function text(tag,cls,t){var e=document.createElement(tag);if(cls)e.className=cls;if(t!=null)e.textContent=String(t).replace(/<[^>]*>/g,'');return e;}
return {sha256:sha256,url:url,real:real,here:here,cookie:cookie,bx:bx,text:text};
})();
"""


def bx(nonce: str, seed: int) -> str:
    """What ``SBX.bx(nonce)`` computes in the page (the sandbox's stand-in for ``bx-ua``)."""
    return sha256(f"bx1|{nonce}|sbx-{seed}")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
