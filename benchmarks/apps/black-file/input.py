import os, sys
def greet( name ):
  if name=='':
     return "hello, nobody"
  return 'hello, %s' % name
class Point :
    def __init__(self,x,y):
        self.x=x;self.y=y
    def __repr__(self): return f'Point({self.x}, {self.y})'
print(greet( 'world' ), Point(1,2), os.sep, sys.maxsize>0)
